/** The oclif flags of `dezc wizard`. */
import {Flags} from '@oclif/core'
import {stackFlags, stackOverrideFlags} from '../env/flags.js'

export const wizardFlags = {
  ...stackFlags,
  'pg-port': stackOverrideFlags['pg-port'],
  'pgadmin-port': stackOverrideFlags['pgadmin-port'],
  'no-pgadmin': stackOverrideFlags['no-pgadmin'],
  project: Flags.string({
    description:
      'Google Cloud project ID for the GCP and terraform steps (default: the one `dezc gcp` finds, else asked).',
    helpGroup: 'GCP',
  }),
  // Set by bin/run.js when `dezc` runs without arguments: offer the wizard, never force it.
  offer: Flags.boolean({hidden: true}),
}
