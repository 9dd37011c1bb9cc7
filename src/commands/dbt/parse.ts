import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtParse extends DbtPassthrough<typeof DbtParse> {
  static summary = "Run `dbt parse` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt parse', '<%= config.bin %> dbt parse -- --select stg_yellow_tripdata']
  static dbtCommand = ['parse']
  static flags = runFlags
}
