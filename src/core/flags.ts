/** Flag factories shared by several topics, so names, help text and env vars stay identical. */
import {Flags} from '@oclif/core'

/** --dry-run for commands that change something. */
export const dryRunFlag = {
  'dry-run': Flags.boolean({
    description: 'Show what would be done, and the equivalent manual commands, without changing anything.',
  }),
}
