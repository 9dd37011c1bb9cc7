/**
 * Pure decisions for `dezc bq`: table names and layout per dataset (partition and cluster columns),
 * the GoogleSQL dezc runs (external table, native table, ledger, the one-transaction month
 * replacement), which months to load/skip/replace from the ledger, whether the bucket and dataset
 * locations are compatible, the on-demand cost of a byte count, and the equivalent `bq` commands.
 * No I/O.
 */
import type {DatasetName, DatasetSpec, PgKind} from '../ingest/datasets.js'

/** The ledger table in the BigQuery dataset: one row per (table, month) loaded. */
export const LEDGER_TABLE = 'dezc_bq_ledger'
/** The column dezc adds to native tables: the month (YYYY-MM) of the file a row was loaded from. */
export const MONTH_COLUMN = 'dezc_month'
export const DEFAULT_USD_PER_TIB = 6.25

export interface TableNames {
  /** Native, partitioned and clustered: <dataset>_tripdata. */
  native: string
  /** External over the bucket: <dataset>_tripdata_external. */
  external: string
}

export function tableNames(dataset: DatasetName): TableNames {
  return {native: `${dataset}_tripdata`, external: `${dataset}_tripdata_external`}
}

/** Staging table of one month's load job (deleted after the replacement). */
export function stagingTable(dataset: DatasetName, period: string): string {
  return `${dataset}_tripdata__dezc_staging_${period.replace('-', '_')}`
}

/** Partition (DAY on DATE(column)) and cluster columns, as the course does for yellow. */
export const LAYOUT: Record<Exclude<DatasetName, 'zones'>, {partition: string; cluster: string[]}> = {
  yellow: {partition: 'tpep_pickup_datetime', cluster: ['VendorID']},
  green: {partition: 'lpep_pickup_datetime', cluster: ['VendorID']},
  fhv: {partition: 'pickup_datetime', cluster: ['dispatching_base_num']},
  fhvhv: {partition: 'pickup_datetime', cluster: ['hvfhs_license_num']},
}

const BQ_TYPE: Record<PgKind, string> = {
  int8: 'INT64',
  int4: 'INT64',
  int2: 'INT64',
  float8: 'FLOAT64',
  float4: 'FLOAT64',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMP',
  date: 'DATE',
  bool: 'BOOL',
  text: 'STRING',
}

export const bqType = (kind: PgKind) => BQ_TYPE[kind]

/** `project.dataset.table` quoted for GoogleSQL. */
export function tableRef(project: string, bqDataset: string, table: string): string {
  return `\`${project}.${bqDataset}.${table}\``
}

const str = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`

/** The wildcard the external table reads: every month dezc lake upload wrote for the dataset. */
export function externalUri(bucket: string, dataset: string): string {
  return `gs://${bucket}/${dataset}/*.parquet`
}

export function externalTableSql(ref: string, uri: string): string {
  return `CREATE OR REPLACE EXTERNAL TABLE ${ref}\nOPTIONS (format = 'PARQUET', uris = [${str(uri)}])`
}

export function nativeTableSql(ref: string, spec: DatasetSpec): string {
  const layout = LAYOUT[spec.name as keyof typeof LAYOUT]
  const cols = spec.columns.map((c) => `  ${c.name} ${bqType(c.kind)}`)
  cols.push(`  ${MONTH_COLUMN} STRING NOT NULL`)
  return [
    `CREATE TABLE IF NOT EXISTS ${ref} (`,
    cols.join(',\n'),
    `)`,
    `PARTITION BY DATE(${layout.partition})`,
    `CLUSTER BY ${layout.cluster.join(', ')}`,
  ].join('\n')
}

export function ledgerTableSql(ref: string): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${ref} (`,
    '  table_name STRING NOT NULL,',
    '  month STRING NOT NULL,',
    '  source_uri STRING,',
    '  generation STRING,',
    '  row_count INT64,',
    '  job_id STRING,',
    '  loaded_at TIMESTAMP',
    ')',
  ].join('\n')
}

export function ledgerReadSql(ref: string, table: string): string {
  return `SELECT month, row_count, generation, source_uri FROM ${ref} WHERE table_name = ${str(table)}`
}

export interface MonthLoad {
  period: string
  uri: string
  generation?: string
  /** The row count, or a SQL expression for it. */
  rows: number | string
  jobId: string
}

/**
 * One multi-statement transaction that replaces a month: its previous rows (by dezc_month, not by
 * pickup date: TLC files hold stray timestamps outside their month) and its ledger row go, the
 * staging table's rows and a new ledger row come in. Either all of it commits or none of it.
 */
export function replaceMonthSql(o: {
  target: string
  staging: string
  ledger: string
  table: string
  spec: DatasetSpec
  load: MonthLoad
}): string {
  const names = o.spec.columns.map((c) => c.name)
  const select = o.spec.columns.map((c) => `CAST(${c.name} AS ${bqType(c.kind)})`)
  const m = str(o.load.period)
  return [
    'BEGIN TRANSACTION;',
    `DELETE FROM ${o.target} WHERE ${MONTH_COLUMN} = ${m};`,
    `INSERT INTO ${o.target} (${[...names, MONTH_COLUMN].join(', ')})`,
    `SELECT ${[...select, m].join(', ')} FROM ${o.staging};`,
    `DELETE FROM ${o.ledger} WHERE table_name = ${str(o.table)} AND month = ${m};`,
    `INSERT INTO ${o.ledger} (table_name, month, source_uri, generation, row_count, job_id, loaded_at)`,
    `VALUES (${[str(o.table), m, str(o.load.uri), o.load.generation ? str(o.load.generation) : 'NULL', String(o.load.rows), str(o.load.jobId)].join(', ')}, CURRENT_TIMESTAMP());`,
    'COMMIT TRANSACTION;',
  ].join('\n')
}

export interface LedgerRow {
  month: string
  rows: number
  generation?: string
  uri?: string
}

export type MonthAction = 'load' | 'skip' | 'replace'

/** load: not in the ledger; skip: in it (re-runs are no-ops); replace: in it and --force. */
export function decideMonth(loaded: LedgerRow | undefined, force: boolean): MonthAction {
  if (!loaded) return 'load'
  return force ? 'replace' : 'skip'
}

const US_REGIONS = /^us-[a-z]+\d+$|^nam4$/
const EU_REGIONS = new Set([
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west3',
  'europe-west4',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'eur4',
  'eu',
])

/**
 * Can BigQuery in `dataset` location read objects of a bucket in `bucket` location? The same
 * location, or a bucket region inside the dataset's multi-region (US, EU). Conservative: loads
 * into the US multi-region accept more, external tables do not.
 */
export function locationsCompatible(bucket: string, dataset: string): boolean {
  const b = bucket.toLowerCase()
  const d = dataset.toLowerCase()
  if (b === d) return true
  if (d === 'us') return US_REGIONS.test(b)
  if (d === 'eu') return EU_REGIONS.has(b)
  return false
}

export const TIB = 2 ** 40

/** On-demand cost of scanning `bytes` at `usdPerTib`, rounded to a tenth of a cent (never below 0). */
export function costUsd(bytes: number, usdPerTib: number): number {
  return Math.round((Math.max(0, bytes) / TIB) * usdPerTib * 1000) / 1000
}

const sh = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

/** `bq query` with GoogleSQL in the dataset's location. */
export function bqQueryCommand(o: {project: string; location?: string; sql: string; dryRun?: boolean}): string {
  return `bq --project_id=${o.project}${o.location ? ` --location=${o.location}` : ''} query --use_legacy_sql=false${o.dryRun ? ' --dry_run' : ''} ${sh(o.sql)}`
}

export function bqLoadCommand(o: {project: string; location: string; table: string; uri: string}): string {
  return `bq --project_id=${o.project} --location=${o.location} load --source_format=PARQUET --replace ${o.table} ${o.uri}`
}

export function bqRmCommand(o: {project: string; table: string}): string {
  return `bq --project_id=${o.project} rm -f -t ${o.table}`
}
