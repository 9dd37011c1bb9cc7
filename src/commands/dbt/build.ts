import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtBuild extends DbtPassthrough<typeof DbtBuild> {
  static summary = "Run `dbt build` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt build', '<%= config.bin %> dbt build -- --select stg_yellow_tripdata']
  static dbtCommand = ['build']
  static flags = runFlags
}
