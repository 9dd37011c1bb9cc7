/** The oclif flags of `dezc doctor`. */
import {Flags} from '@oclif/core'
import {stackFlags, stackOverrideFlags} from '../env/flags.js'

export const doctorFlags = {
  ...stackFlags,
  'pg-port': stackOverrideFlags['pg-port'],
  'pgadmin-port': stackOverrideFlags['pgadmin-port'],
  'no-pgadmin': stackOverrideFlags['no-pgadmin'],
  only: Flags.string({
    description: 'Run only the checks with this id or id prefix (e.g. docker, postgres, node, disk).',
    multiple: true,
  }),
  timeout: Flags.integer({description: 'Seconds each check may take before it counts as failed.', default: 3, min: 1}),
}
