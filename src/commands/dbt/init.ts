import {DbtCommand} from '../../dbt/command.js'
import {initFlags} from '../../dbt/flags.js'

export default class DbtInit extends DbtCommand<typeof DbtInit> {
  static summary =
    "Write the course's dbt project for the data dezc loaded: profile, sources, staging models, zone seed."
  static description = `Reads what dezc ingest really loaded (the dezc_ingest_ledger table and information_schema) from the env stack's Postgres (it must run: its published port is read from the engine) or a DuckDB file, and writes dbt_project.yml, profiles.yml (0600, the password only through env_var), models/staging/sources.yml with every loaded table's columns, types, descriptions and freshness, one staging model per loaded table, the taxi zone lookup as a seed, models/core, macros, tests, packages.yml (dbt_utils pinned) and a README.
Files you edited are never overwritten without --force.`
  static examples = [
    '<%= config.bin %> dbt init',
    '<%= config.bin %> dbt init --dir taxi_rides_ny --stack week4',
    '<%= config.bin %> dbt init --target duckdb --duckdb-file taxi.duckdb',
    '<%= config.bin %> dbt init --dry-run --json',
  ]
  static flags = initFlags

  async run(): Promise<import('../../dbt/service.js').DbtInitResult> {
    const [{dbtInit}, {renderInit}, {ingestConfigSchema}, {TLC_BASE_URL}] = await Promise.all([
      import('../../dbt/service.js'),
      import('../../dbt/render.js'),
      import('../../ingest/settings.js'),
      import('../../ingest/datasets.js'),
    ])
    const ingest = (await this.loadDezcConfig()).section('ingest', ingestConfigSchema)
    const result = await dbtInit({
      settings: await this.dbtSettings(),
      force: this.flags.force,
      dryRun: this.flags['dry-run'],
      zonesBaseUrl: process.env.DEZC_INGEST_BASE_URL ?? ingest?.baseUrl ?? TLC_BASE_URL,
      ui: this.ui,
      signal: this.signal,
    })
    for (const line of renderInit(result)) this.log(line)
    return result
  }
}
