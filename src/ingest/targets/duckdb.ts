/**
 * The DuckDB target (`dezc ingest --to duckdb`): the same datasets, canonical columns, ledger and
 * atomicity as Postgres, into a DuckDB database file. One period = one DuckDB transaction: the
 * ledger row, the table (created or extended), the previous rows of the period deleted (--force) and
 * `INSERT ... SELECT` straight from the parquet/CSV file, so DuckDB reads, casts and writes in one
 * vectorised pass (no row ever crosses into JavaScript). A failure, Ctrl-C or kill -9 before COMMIT
 * leaves the file as it was (DuckDB's WAL holds only committed transactions).
 */
import fs from 'node:fs'
import path from 'node:path'
import type {DuckDBConnection, DuckDBInstance} from '@duckdb/node-api'
import {DezcError, ExitCode, InterruptedError, errorMessage} from '../../core/errors.js'
import {
  checkCasts,
  checkRowCount,
  explainCastFailure,
  LEDGER_TABLE,
  type LedgerEntry,
  type LoadResult,
} from '../loader.js'
import {quoteIdent, quoteTable} from '../pg.js'
import {corruptFileError, relation} from '../reader.js'
import {duckType, LOAD_ID_COLUMN, planColumns, tableDdl, type TableColumn} from '../schema-map.js'
import type {IngestTarget, TargetLoadOptions} from './target.js'

const LEDGER_SEQUENCE = `${LEDGER_TABLE}_load_id`

/** The ledger as on Postgres (same columns, same meaning); load ids from a sequence. */
const LEDGER_DDL = [
  `CREATE SEQUENCE IF NOT EXISTS ${LEDGER_SEQUENCE}`,
  `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
    load_id BIGINT NOT NULL,
    table_name VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    source_url VARCHAR NOT NULL,
    source_bytes BIGINT,
    source_sha256 VARCHAR,
    source_etag VARCHAR,
    source_last_modified VARCHAR,
    rows BIGINT,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    seconds DOUBLE,
    replaced_load_id BIGINT,
    active BOOLEAN NOT NULL DEFAULT true
  )`,
]

/** information_schema.columns.data_type → the pg typname planColumns reasons about. */
const PG_NAME_OF_DUCK_TYPE: Record<string, string> = {
  BIGINT: 'int8',
  INTEGER: 'int4',
  SMALLINT: 'int2',
  DOUBLE: 'float8',
  FLOAT: 'float4',
  REAL: 'float4',
  TIMESTAMP: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  DATE: 'date',
  BOOLEAN: 'bool',
  VARCHAR: 'text',
}

type Rows = Array<Record<string, unknown>>

export async function openDuckdbTarget(
  file: string,
  signal: AbortSignal,
  opts: {readOnly?: boolean} = {},
): Promise<IngestTarget> {
  const where = file
  if (opts.readOnly && !fs.existsSync(file)) {
    // The dry run on a file that does not exist yet: nothing is loaded, nothing is created.
    return {
      where,
      loadedPeriods: async () => new Map(),
      load: async () => {
        throw new Error('read-only target')
      },
      close: async () => {},
    }
  }
  const {instance, conn} = await openFile(file, Boolean(opts.readOnly))
  const query = async (sql: string, params?: unknown[]): Promise<Rows> =>
    (await conn.runAndReadAll(sql, params as never)).getRowObjectsJS() as Rows
  let closed = false
  return {
    where,
    loadedPeriods: async (table, dataset, periods) => {
      const out = new Map<string, LedgerEntry>()
      if (!(await hasLedger(query))) return out
      const rows = await query(
        `SELECT period, load_id, rows, epoch_ms(finished_at) AS finished, source_url FROM ${LEDGER_TABLE}
          WHERE active AND table_name = $1 AND dataset = $2`,
        [table, dataset],
      )
      const wanted = new Set(periods)
      for (const r of rows)
        if (wanted.has(String(r.period)))
          out.set(String(r.period), {
            loadId: Number(r.load_id),
            rows: Number(r.rows),
            finishedAt: new Date(Number(r.finished)).toISOString(),
            sourceUrl: String(r.source_url),
          })
      return out
    },
    load: (o) => loadIntoDuckdb(conn, query, o, signal),
    close: async () => {
      if (closed) return
      closed = true
      conn.closeSync()
      instance.closeSync()
    },
  }
}

async function openFile(file: string, readOnly: boolean): Promise<{instance: DuckDBInstance; conn: DuckDBConnection}> {
  const {DuckDBInstance} = await import('@duckdb/node-api')
  try {
    if (!readOnly) fs.mkdirSync(path.dirname(file), {recursive: true})
    const instance = await DuckDBInstance.create(file, {
      access_mode: readOnly ? 'READ_ONLY' : 'READ_WRITE',
      threads: '2',
      autoload_known_extensions: 'false',
      autoinstall_known_extensions: 'false',
    })
    return {instance, conn: await instance.connect()}
  } catch (error) {
    const msg = errorMessage(error).split('\n')[0]
    const locked = /lock/i.test(msg)
    throw new DezcError({
      code: 'DUCKDB_OPEN_FAILED',
      message: `Cannot open the DuckDB database ${file}: ${msg}`,
      suggestion: locked
        ? 'Another process holds it open for writing (a duckdb shell, dbt, another dezc ingest): close it, then re-run.'
        : 'Check that the path is a DuckDB database file (or a new file in a writable folder); choose another with --duckdb-file.',
      exit: ExitCode.PREREQUISITE,
      cause: error,
    })
  }
}

async function hasLedger(query: (sql: string, params?: unknown[]) => Promise<Rows>): Promise<boolean> {
  const r = await query(
    `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`,
    [LEDGER_TABLE],
  )
  return Number(r[0]?.n ?? 0) > 0
}

async function tableColumns(
  query: (sql: string, params?: unknown[]) => Promise<Rows>,
  table: string,
): Promise<TableColumn[] | undefined> {
  const [schema, name] = table.includes('.') ? table.split('.', 2) : [undefined, table]
  const rows = await query(
    `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2 ORDER BY ordinal_position`,
    [schema ?? null, name],
  )
  if (rows.length === 0) return undefined
  return rows.map((r) => {
    const type = String(r.data_type).toUpperCase()
    return {name: String(r.column_name), pgType: PG_NAME_OF_DUCK_TYPE[type] ?? type.toLowerCase()}
  })
}

async function loadIntoDuckdb(
  conn: DuckDBConnection,
  query: (sql: string, params?: unknown[]) => Promise<Rows>,
  o: TargetLoadOptions,
  signal: AbortSignal,
): Promise<LoadResult> {
  const qt = quoteTable(o.table)
  const from = relation(o.file.path, o.format)
  const started = Date.now()
  const onAbort = () => conn.interrupt()
  signal.addEventListener('abort', onAbort, {once: true})
  let inTx = false
  let stage = 'prepare'
  try {
    await conn.run('BEGIN TRANSACTION')
    inTx = true
    if (o.table.includes('.')) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(o.table.split('.')[0])}`)
    for (const ddl of LEDGER_DDL) await conn.run(ddl)
    const prev = await query(
      `SELECT load_id FROM ${LEDGER_TABLE} WHERE active AND table_name = $1 AND dataset = $2 AND period = $3`,
      [o.table, o.dataset.name, o.period],
    )
    const prevId = prev[0] ? Number(prev[0].load_id) : undefined
    if (prevId !== undefined && !o.force) {
      await conn.run('ROLLBACK')
      inTx = false
      return {status: 'skipped', rows: 0, loadId: prevId, missingColumns: [], addedColumns: []}
    }
    const existing = await tableColumns(query, o.table)
    const plan = planColumns({
      columns: o.dataset.columns,
      fileColumns: o.source.columns,
      tableColumns: existing,
      strict: o.strict,
      table: o.table,
      file: o.label,
    })
    for (const w of plan.warnings) o.onWarning?.(w)
    await checkCasts(conn, plan, from, o.label, o.format)
    for (const ddl of tableDdl(qt, plan, existing, duckType, LEDGER_TABLE)) await conn.run(ddl)
    if (prevId !== undefined) {
      await conn.run(`DELETE FROM ${qt} WHERE ${quoteIdent(LOAD_ID_COLUMN)} = ${prevId}`)
      await conn.run(`UPDATE ${LEDGER_TABLE} SET active = false WHERE load_id = ${prevId}`)
    }
    const loadId = Number((await query(`SELECT nextval('${LEDGER_SEQUENCE}') AS id`))[0].id)
    await conn.run(
      `INSERT INTO ${LEDGER_TABLE} (load_id, table_name, dataset, period, source_url, source_bytes, source_sha256, source_etag, source_last_modified, replaced_load_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        loadId,
        o.table,
        o.dataset.name,
        o.period,
        o.file.url,
        o.file.bytes,
        o.file.sha256 ?? null,
        o.file.etag ?? null,
        o.file.lastModified ?? null,
        prevId ?? null,
      ] as never,
    )
    if (signal.aborted) throw new InterruptedError()
    stage = 'insert'
    o.onRows?.(0, o.source.rows)
    const cols = [...plan.columns.map((c) => quoteIdent(c.name)), quoteIdent(LOAD_ID_COLUMN)].join(', ')
    const exprs = [...plan.columns.map((c) => c.expr), `CAST(${loadId} AS BIGINT)`].join(', ')
    const inserted = await conn.run(`INSERT INTO ${qt} (${cols}) SELECT ${exprs} FROM ${from}`)
    const rows = inserted.rowsChanged
    stage = 'commit'
    o.onRows?.(rows, o.source.rows)
    checkRowCount(o.label, o.source.rows, rows)
    const seconds = (Date.now() - started) / 1000
    await conn.run(
      `UPDATE ${LEDGER_TABLE} SET rows = ${rows}, finished_at = now(), seconds = ${seconds} WHERE load_id = ${loadId}`,
    )
    if (signal.aborted) throw new InterruptedError()
    await conn.run('COMMIT')
    inTx = false
    return {
      status: prevId === undefined ? 'loaded' : 'replaced',
      rows,
      loadId,
      replacedLoadId: prevId,
      missingColumns: plan.missing,
      addedColumns: plan.add.map((a) => a.name),
    }
  } catch (error) {
    if (inTx) await conn.run('ROLLBACK').catch(() => {})
    if (signal.aborted) {
      throw new DezcError({
        code: 'INTERRUPTED',
        message: `Interrupted while loading ${o.label}: the transaction was rolled back, ${o.table} is unchanged.`,
        suggestion: 'Re-run the same command to load it (loaded periods are skipped).',
        exit: ExitCode.INTERRUPTED,
      })
    }
    if (error instanceof DezcError) throw error
    const msg = errorMessage(error)
    if (stage === 'insert' && /Conversion Error|Could not convert|Invalid Input Error: Could not/i.test(msg)) {
      // The plan is rebuilt from the file's columns only to name the column (nothing is written).
      const plan = planColumns({
        columns: o.dataset.columns,
        fileColumns: o.source.columns,
        tableColumns: await tableColumns(query, o.table).catch(() => undefined),
        table: o.table,
        file: o.label,
      })
      throw await explainCastFailure(conn, plan, from, o.label, error)
    }
    if (stage === 'insert' && /parquet|csv|Invalid Input|IO Error: .*(read|file)/i.test(msg) && !/No space/i.test(msg))
      throw corruptFileError(o.label, o.format, error)
    throw new DezcError({
      code: 'DUCKDB_LOAD_FAILED',
      message: `Loading ${o.label} into ${o.table} failed: ${msg.split('\n')[0]}. Nothing was committed: ${o.table} is as it was.`,
      suggestion: /No space|disk/i.test(msg)
        ? 'Free space where the DuckDB file lives, then re-run.'
        : 'Re-run with --verbose for details; if the table was created by another tool, try a new --table.',
      exit: ExitCode.FAILURE,
      cause: error,
    })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
