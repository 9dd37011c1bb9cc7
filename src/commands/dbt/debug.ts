import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtDebug extends DbtPassthrough<typeof DbtDebug> {
  static summary = "Run `dbt debug` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt debug', '<%= config.bin %> dbt debug -- --select stg_yellow_tripdata']
  static dbtCommand = ['debug']
  static flags = runFlags
}
