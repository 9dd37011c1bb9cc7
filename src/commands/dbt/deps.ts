import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtDeps extends DbtPassthrough<typeof DbtDeps> {
  static summary = "Run `dbt deps` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt deps', '<%= config.bin %> dbt deps -- --select stg_yellow_tripdata']
  static dbtCommand = ['deps']
  static flags = runFlags
}
