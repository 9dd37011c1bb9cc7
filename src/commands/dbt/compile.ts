import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtCompile extends DbtPassthrough<typeof DbtCompile> {
  static summary = "Run `dbt compile` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt compile', '<%= config.bin %> dbt compile -- --select stg_yellow_tripdata']
  static dbtCommand = ['compile']
  static flags = runFlags
}
