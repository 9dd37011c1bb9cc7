import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtRun extends DbtPassthrough<typeof DbtRun> {
  static summary = "Run `dbt run` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt run', '<%= config.bin %> dbt run -- --select stg_yellow_tripdata']
  static dbtCommand = ['run']
  static flags = runFlags
}
