import {DbtPassthrough} from '../../dbt/command.js'
import {runFlags} from '../../dbt/flags.js'

export default class DbtShow extends DbtPassthrough<typeof DbtShow> {
  static summary = 'Run `dbt show`: preview the rows of a model or of inline SQL in the warehouse dezc loaded.'
  static examples = [
    '<%= config.bin %> dbt show --select stg_yellow_tripdata --limit 5',
    '<%= config.bin %> dbt show --inline "select count(*) from {{ ref(\'stg_yellow_tripdata\') }}"',
  ]
  static dbtCommand = ['show']
  static flags = runFlags
}
