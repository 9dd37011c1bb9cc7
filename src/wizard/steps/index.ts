/** The wizard's steps, in the course's order. */
import type {WizardStep} from '../service.js'
import {gcpStep, tfStep} from './cloud.js'
import {dbtStep} from './dbt.js'
import {envStep} from './env.js'
import {flowStep} from './flow.js'
import {ingestStep} from './ingest.js'
import {lakeStep} from './lake.js'
import {sparkStep} from './spark.js'

export const WIZARD_STEPS: Array<WizardStep<any>> = [
  envStep,
  ingestStep,
  flowStep,
  gcpStep,
  tfStep,
  lakeStep,
  dbtStep,
  sparkStep,
]
