/** The wizard's steps, in the course's order. */
import type {WizardStep} from '../wizard.js'
import {gcpStep, tfStep} from './cloud.js'
import {envStep} from './env.js'

export const WIZARD_STEPS: Array<WizardStep<any>> = [envStep, gcpStep, tfStep]
