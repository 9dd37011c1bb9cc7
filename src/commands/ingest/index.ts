import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {ingestFlags} from '../../ingest/flags.js'

export default class Ingest extends DezcCommand<typeof Ingest> {
  static summary =
    'Load NYC TLC trip data (yellow, green, fhv, fhvhv) or the taxi zones into Postgres, at the speed of COPY.'
  static description = `Downloads each month's file (cached, resumable, verified), reads it with DuckDB and loads it with PostgreSQL binary COPY.
Each (dataset, month) is loaded in one transaction and recorded in the dezc_ingest_ledger table: re-running skips loaded months, --force replaces exactly that month's rows, and a failure or Ctrl-C leaves the table as it was.
Periods: a month (2021-01), a range (2021-01..2021-06) or a year (2021); several may be given.
The target is the env stack's Postgres (see dezc env) unless --db-url is given, or a DuckDB file with --to duckdb (the same tables, columns and ledger; DuckDB reads the file and writes the table in one pass), or BigQuery with --to bigquery (each month normalised, uploaded to the bucket as dezc lake upload does and loaded with one load job as dezc bq load does, sharing its ledger dezc_bq_ledger).`
  static examples = [
    '<%= config.bin %> ingest yellow 2021-01',
    '<%= config.bin %> ingest green 2019-01..2019-12 --table greentaxidata',
    '<%= config.bin %> ingest zones',
    '<%= config.bin %> ingest yellow 2021-01 --force --db-url postgresql://root:root@127.0.0.1:5432/nytaxi --json',
    '<%= config.bin %> ingest yellow --file ./yellow_tripdata_2021-01.parquet',
    '<%= config.bin %> ingest yellow 2021-01..2021-03 --in-network --host synology',
    '<%= config.bin %> ingest yellow 2021 --dry-run',
    '<%= config.bin %> ingest yellow 2021-01 --to duckdb --duckdb-file taxi.duckdb',
    '<%= config.bin %> ingest yellow 2021-01..2021-03 --to bigquery',
  ]
  static strict = false
  static args = {
    dataset: Args.string({description: 'yellow, green, fhv, fhvhv or zones', required: true}),
    periods: Args.string({
      description: 'Months to load: 2021-01, 2021-01..2021-06, 2021 (several allowed; none for zones)',
    }),
  }
  static flags = ingestFlags

  async run(): Promise<import('../../ingest/plan.js').IngestDryRun | import('../../ingest/service.js').IngestSummary> {
    const [{ingest}, {ingestTarget}, {cacheDir}, path] = await Promise.all([
      import('../../ingest/service.js'),
      import('../../ingest/settings.js'),
      import('../../config/paths.js'),
      import('node:path'),
    ])
    const {argv} = await this.parse(Ingest)
    const [dataset, ...periods] = argv as string[]
    const f = this.flags
    const config = await this.loadDezcConfig()
    const settings = await ingestTarget(config, {
      to: f.to,
      duckdbFile: f['duckdb-file'],
      dbUrl: f['db-url'],
      host: f.host,
      course: f.course,
      stack: f.stack,
      dockerHost: f['docker-host'],
      baseUrl: f['base-url'],
      source: f.source as 'tlc' | 'backup' | undefined,
      table: f.table,
      dataset,
      jobs: f.jobs,
      imageBase: f['image-base'],
    })
    this.ui.reporter.debug(`target ${settings.redactedDbUrl}; source ${settings.baseUrl}`)
    const bigquery = settings.to === 'bigquery' ? await this.bigQuery(dataset, config) : undefined
    const render = await import('../../ingest/render.js')
    // What the dry run and the load share: the same settings make the same plan.
    const common = {
      dataset,
      periods,
      file: f.file,
      baseUrl: settings.baseUrl,
      source: settings.source,
      table: bigquery?.table ?? settings.table,
      dbUrl: settings.dbUrl,
      duckdbFile: settings.duckdbFile,
      bigquery: bigquery?.target,
      force: f.force,
      signal: this.signal,
      ui: this.ui,
    }
    if (f['dry-run']) {
      const {planIngest} = await import('../../ingest/plan.js')
      const plan = await planIngest(common)
      this.log(render.renderIngestDryRun(plan))
      return plan
    }
    const summary = f['in-network']
      ? await this.inNetwork(dataset, periods, settings)
      : await ingest({
          ...common,
          strict: f.strict,
          noCache: f['no-cache'],
          jobs: settings.jobs,
          cacheRoot: path.join(cacheDir(), 'ingest'),
        })
    for (const line of render.renderIngestSummary(summary)) this.log(line)
    return summary
  }

  /** --to bigquery: bq's settings with the bucket (the same resolution as dezc bq load), and bq's table name. */
  private async bigQuery(dataset: string, config: import('../../config/load.js').LoadedConfig) {
    const f = this.flags
    const [{usageError}, {resolveBqSettings}, {bigQueryTable}, {cacheDir}] = await Promise.all([
      import('../../core/errors.js'),
      import('../../bq/settings.js'),
      import('../../ingest/targets/bigquery.js'),
      import('../../config/paths.js'),
    ])
    for (const [flag, given] of [
      ['--table', f.table],
      ['--in-network', f['in-network']],
    ] as const)
      if (given)
        throw usageError(
          'INVALID_FLAG',
          `${flag} does not apply to --to bigquery (the table is <dataset>_tripdata in the BigQuery dataset, as dezc bq load names it).`,
          `Drop ${flag}, or choose --to postgres.`,
        )
    const settings = await resolveBqSettings({
      flags: {project: f.project, bqDataset: f['bq-dataset'], bucket: f.bucket, tfDir: f['tf-dir']},
      config,
      prompter: this.ui.prompter,
      needBucket: true,
    })
    return {table: await bigQueryTable(dataset), target: {settings, cacheRoot: cacheDir(), ui: this.ui}}
  }

  /** The same ingest, run by the dezc image inside the env stack's network. */
  private async inNetwork(
    dataset: string,
    periods: string[],
    settings: import('../../ingest/settings.js').IngestSettings,
  ) {
    const [{ingestInNetwork, checkInNetworkFile}, {stackFromFlags}] = await Promise.all([
      import('../../ingest/in-network.js'),
      import('../../env/settings.js'),
    ])
    const f = this.flags
    checkInNetworkFile(f.file)
    if (settings.duckdbFile) {
      const {usageError} = await import('../../core/errors.js')
      throw usageError(
        'INVALID_FLAG',
        "--in-network loads into the env stack's Postgres; a DuckDB file is on this machine.",
        'Drop --in-network to load into the DuckDB file, or drop --to duckdb.',
      )
    }
    // The base URL goes through the environment (it may hold credentials), like the database URL.
    const args = [dataset, ...periods, '--source', settings.source, '--jobs', String(settings.jobs)]
    if (settings.table) args.push('--table', settings.table)
    if (f.file) args.push('--file', f.file)
    for (const flag of ['force', 'strict', 'no-cache'] as const) if (f[flag]) args.push(`--${flag}`)
    return ingestInNetwork({
      stack: stackFromFlags(await this.loadDezcConfig(), f),
      args,
      dbUrl: settings.explicitDbUrl ? settings.dbUrl : undefined,
      baseUrl: settings.baseUrl,
      imageBase: settings.imageBase,
      ui: this.ui,
      signal: this.signal,
    })
  }
}
