import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtSeed extends DbtPassthrough<typeof DbtSeed> {
  static summary = "Run `dbt seed` in the project, with the connection dezc knows (output and exit code are dbt's)."
  static examples = ['<%= config.bin %> dbt seed', '<%= config.bin %> dbt seed -- --select stg_yellow_tripdata']
  static dbtCommand = ['seed']
  static flags = runFlags
}
