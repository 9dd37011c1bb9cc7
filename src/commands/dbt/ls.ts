import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtLs extends DbtPassthrough<typeof DbtLs> {
  static summary = 'Run `dbt ls`: the models, seeds, tests and sources of the project (output and exit code are dbt’s).'
  static examples = ['<%= config.bin %> dbt ls', '<%= config.bin %> dbt ls --resource-type model --output json']
  static dbtCommand = ['ls']
  static flags = runFlags
}
