import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtTest extends DbtPassthrough<typeof DbtTest> {
  static summary = "Run `dbt test` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt test', '<%= config.bin %> dbt test -- --select stg_yellow_tripdata']
  static dbtCommand = ['test']
  static flags = runFlags
}
