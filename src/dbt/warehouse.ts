/**
 * What dezc really loaded, read (never written) from the warehouse dbt will run on: the ingest
 * ledger (`dezc_ingest_ledger`: which months of which dataset went into which table) and the
 * information_schema (each table's columns and types). Postgres through `pg`, a DuckDB file
 * through DuckDB's Node API (read-only, no extension downloads). The same SQL runs on both.
 */
import {DezcError, ExitCode, errorMessage, type ExitCodeValue} from '../core/errors.js'
import {isDatasetName, type DatasetName} from '../ingest/datasets.js'
import {LEDGER_TABLE} from '../ingest/loader.js'

export interface LoadedColumn {
  name: string
  /** As information_schema reports it, e.g. `bigint`, `timestamp without time zone`. */
  type: string
}

export interface LoadedTable {
  /** Table name as the ledger records it (may be schema-qualified). */
  table: string
  schema: string
  name: string
  dataset: DatasetName
  periods: string[]
  rows: number
  /** When the last active load of the table finished (ISO). */
  lastLoadedAt?: string
  columns: LoadedColumn[]
}

export interface Warehouse {
  kind: 'postgres' | 'duckdb' | 'bigquery'
  /** Where, for messages (password masked). */
  where: string
  /** The schema unqualified names resolve to (public, main). */
  defaultSchema: string
  tables: LoadedTable[]
  /** Ledger entries whose table no longer exists, datasets dezc does not know. */
  skipped: string[]
  /** The zone lookup rows, when zones were loaded (for the seed). */
  zones?: Array<{LocationID: number; Borough: string; Zone: string; service_zone: string}>
}

type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>

/** Read the ledger and the tables it names. No ledger, or an empty one, is NO_DATA_LOADED. */
export async function readWarehouse(kind: Warehouse['kind'], where: string, query: Query): Promise<Warehouse> {
  const schemaRow = await query('select current_schema() as s')
  const defaultSchema = String(schemaRow[0]?.s ?? (kind === 'postgres' ? 'public' : 'main'))
  const ledger = await query(
    `select count(*) as n from information_schema.tables where table_name = '${LEDGER_TABLE}' and table_schema = current_schema()`,
  )
  if (Number(ledger[0]?.n ?? 0) === 0) throw noData(where, 'has no dezc ingest ledger')
  const rows = await query(
    `select table_name, dataset, string_agg(period, ',' order by period) as periods, sum(rows) as rows,
            cast(max(finished_at) as varchar) as last_loaded
       from ${LEDGER_TABLE} where active group by table_name, dataset order by table_name`,
  )
  if (rows.length === 0) throw noData(where, 'has an empty dezc ingest ledger')
  const tables: LoadedTable[] = []
  const skipped: string[] = []
  for (const r of rows) {
    const table = String(r.table_name)
    const dataset = String(r.dataset)
    const [schema, name] = table.includes('.') ? table.split('.', 2) : [defaultSchema, table]
    if (!isDatasetName(dataset)) {
      skipped.push(`${table}: dataset ${dataset} is not one dezc knows`)
      continue
    }
    const cols = await query(
      `select column_name, data_type from information_schema.columns
        where table_schema = $1 and table_name = $2 order by ordinal_position`,
      [schema, name],
    )
    if (cols.length === 0) {
      skipped.push(`${table}: in the ledger but the table does not exist any more`)
      continue
    }
    tables.push({
      table,
      schema,
      name,
      dataset,
      periods: String(r.periods ?? '')
        .split(',')
        .filter(Boolean),
      rows: Number(r.rows ?? 0),
      lastLoadedAt: r.last_loaded ? String(r.last_loaded) : undefined,
      columns: cols.map((c) => ({name: String(c.column_name), type: String(c.data_type).toLowerCase()})),
    })
  }
  if (tables.length === 0) throw noData(where, `names no table that exists (${skipped.join('; ')})`)
  const warehouse: Warehouse = {kind, where, defaultSchema, tables, skipped}
  const zones = tables.find((t) => t.dataset === 'zones')
  if (zones) {
    const q = (n: string) =>
      `"${(zones.columns.find((c) => c.name.toLowerCase() === n.toLowerCase())?.name ?? n).replaceAll('"', '""')}"`
    const z = await query(
      `select ${q('LocationID')} as id, ${q('Borough')} as b, ${q('Zone')} as z, ${q('service_zone')} as s
         from "${zones.schema}"."${zones.name}" order by 1`,
    )
    warehouse.zones = z.map((r) => ({
      LocationID: Number(r.id),
      Borough: String(r.b ?? ''),
      Zone: String(r.z ?? ''),
      service_zone: String(r.s ?? ''),
    }))
  }
  return warehouse
}

function noData(where: string, why: string): DezcError {
  return new DezcError({
    code: 'DBT_NO_DATA',
    message: `The warehouse at ${where} ${why}: dezc dbt init generates the sources and staging models from what dezc ingest loaded.`,
    suggestion: [
      'Load data first, e.g. `dezc ingest zones` and `dezc ingest yellow 2021-01` (same --host/--stack), then re-run dezc dbt init.',
    ],
    exit: ExitCode.PREREQUISITE,
  })
}

/** The env stack's Postgres (or any postgresql:// URL). */
export async function readPostgres(url: string, where: string, signal?: AbortSignal): Promise<Warehouse> {
  const {connectPg} = await import('../ingest/pg.js')
  const client = await connectPg(url, signal)
  try {
    return await readWarehouse('postgres', where, async (sql, params) => (await client.query(sql, params)).rows)
  } catch (error) {
    throw asReadError(error, where)
  } finally {
    await client.end().catch(() => {})
  }
}

/** A DuckDB database file, opened read-only. */
export async function readDuckdb(file: string): Promise<Warehouse> {
  const fs = await import('node:fs')
  if (!fs.existsSync(file)) {
    throw new DezcError({
      code: 'DBT_NO_DATA',
      message: `There is no DuckDB database at ${file}.`,
      suggestion: [
        'Load data into it first with dezc ingest, or point --duckdb-file at the database file that holds the taxi tables.',
      ],
      exit: ExitCode.PREREQUISITE,
    })
  }
  const {DuckDBInstance} = await import('@duckdb/node-api')
  let instance
  try {
    instance = await DuckDBInstance.create(file, {
      access_mode: 'READ_ONLY',
      autoload_known_extensions: 'false',
      autoinstall_known_extensions: 'false',
    })
  } catch (error) {
    const hint = 'Check that it is a DuckDB file and that no other process holds it open for writing.'
    throw unreadable(error, `Cannot open the DuckDB database ${file}`, hint, ExitCode.PREREQUISITE)
  }
  const conn = await instance.connect()
  try {
    return await readWarehouse('duckdb', file, async (sql, params) => {
      const reader = await conn.runAndReadAll(sql, params as never)
      return reader.getRowObjectsJS() as Array<Record<string, unknown>>
    })
  } catch (error) {
    throw asReadError(error, file)
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

function asReadError(error: unknown, where: string): DezcError {
  if (error instanceof DezcError) return error
  const hint = 'Check that the user may read information_schema and dezc_ingest_ledger; re-run with --verbose.'
  return unreadable(error, `Cannot read the ingest ledger or the tables' columns at ${where}`, hint, ExitCode.FAILURE)
}

function unreadable(error: unknown, what: string, suggestion: string, exit: ExitCodeValue): DezcError {
  const message = `${what}: ${errorMessage(error)}`
  return new DezcError({code: 'DBT_WAREHOUSE_UNREADABLE', message, suggestion, exit, cause: error})
}
