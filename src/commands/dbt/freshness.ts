import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtFreshness extends DbtPassthrough<typeof DbtFreshness> {
  static summary = 'Run `dbt source freshness`: how long ago each source was loaded, from the ingest ledger.'
  static examples = ['<%= config.bin %> dbt freshness']
  static dbtCommand = ['source', 'freshness']
  static flags = runFlags
}
