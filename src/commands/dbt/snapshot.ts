import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtSnapshot extends DbtPassthrough<typeof DbtSnapshot> {
  static summary = 'Run `dbt snapshot`: the snapshots/ of the project (output and exit code are dbt’s).'
  static examples = ['<%= config.bin %> dbt snapshot']
  static dbtCommand = ['snapshot']
  static flags = runFlags
}
