/**
 * One (dataset, period) load = one PostgreSQL transaction: take dezc's advisory lock, create the
 * ledger if needed, skip if the period is loaded (unless --force), create or extend the table,
 * delete the period's previous rows (by load id) when replacing, record the load in the ledger,
 * binary-COPY every row tagged with the load id, check the count, commit. Any failure or Ctrl-C
 * rolls everything back, so the table is exactly as before.
 */
import type pg from 'pg'
import type {Writable} from 'node:stream'
import type {DuckDBConnection, DuckDBDataChunk} from '@duckdb/node-api'
import {DezcError, ExitCode, InterruptedError, errorMessage} from '../core/errors.js'
import {COPY_HEADER, COPY_TRAILER, encodeRows} from './copy-encoder.js'
import type {DatasetSpec} from './datasets.js'
import type {FileFacts} from './download.js'
import {pgLoadError, quoteIdent, quoteTable} from './pg.js'
import {chunkColumns, corruptFileError, relation, type SourceFormat, type SourceInfo} from './reader.js'
import {
  LOAD_ID_COLUMN,
  PG_TYPE_OF_KIND,
  castError,
  planColumns,
  quoteDuckIdent,
  tableDdl,
  type ColumnPlan,
  type TableColumn,
} from './schema-map.js'

export const LEDGER_TABLE = 'dezc_ingest_ledger'
/** pg_advisory_xact_lock key: one dezc load at a time per database (DDL and ledger stay race-free). */
const LOCK_KEY = 0x64657a63 // "dezc"

const LEDGER_DDL = [
  `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
    load_id bigserial PRIMARY KEY,
    table_name text NOT NULL,
    dataset text NOT NULL,
    period text NOT NULL,
    source_url text NOT NULL,
    source_bytes bigint,
    source_sha256 text,
    source_etag text,
    source_last_modified text,
    rows bigint,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    seconds double precision,
    replaced_load_id bigint,
    active boolean NOT NULL DEFAULT true
  )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS ${LEDGER_TABLE}_active ON ${LEDGER_TABLE} (table_name, dataset, period) WHERE active`,
]

export interface LedgerEntry {
  /** The ledger's load id (Postgres, DuckDB); BigQuery's ledger has none. */
  loadId?: number
  rows: number
  finishedAt: string
  sourceUrl: string
}

/** Active ledger entries for these periods (empty when the ledger does not exist yet). */
export async function loadedPeriods(
  client: pg.Client,
  table: string,
  dataset: string,
  periods: string[],
): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>()
  const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [LEDGER_TABLE])
  if (!exists.rows[0].ok) return out
  const res = await client.query(
    `SELECT period, load_id, rows, finished_at, source_url FROM ${LEDGER_TABLE} WHERE active AND table_name = $1 AND dataset = $2 AND period = ANY($3)`,
    [table, dataset, periods],
  )
  for (const r of res.rows)
    out.set(r.period, {
      loadId: Number(r.load_id),
      rows: Number(r.rows),
      finishedAt: new Date(r.finished_at).toISOString(),
      sourceUrl: r.source_url,
    })
  return out
}

export interface LoadOptions {
  client: pg.Client
  duck: DuckDBConnection
  table: string
  dataset: DatasetSpec
  period: string
  label: string
  file: FileFacts
  format: SourceFormat
  source: SourceInfo
  strict: boolean
  force: boolean
  signal: AbortSignal
  onRows?: (rows: number, total?: number) => void
  onWarning?: (message: string) => void
  /**
   * The rows are still arriving (stream.ts, rowgroups.ts): `file` is the sample (or the schema-only
   * parquet file) the casts are checked on, the rows are read from `from` in one COPY, and the load
   * commits only once `complete` gives the whole file's facts
   * (rejecting rolls it back). `error()` is the download's failure, which explains an early end.
   */
  streamed?: StreamedRows
}

export interface StreamedRows {
  /** One relation (a csv.gz stream's FIFO), or several read one after the other (parquet row groups as they arrive). */
  from: string | AsyncIterable<string>
  complete: Promise<FileFacts>
  error(): unknown
}

export interface LoadResult {
  status: 'loaded' | 'replaced' | 'skipped'
  rows: number
  loadId?: number
  replacedLoadId?: number
  missingColumns: string[]
  addedColumns: string[]
}

async function tableColumns(client: pg.Client, table: string): Promise<TableColumn[] | undefined> {
  const reg = await client.query(`SELECT to_regclass($1)::oid AS oid`, [quoteTable(table)])
  const oid = reg.rows[0].oid
  if (oid === null) return undefined
  const res = await client.query(
    `SELECT a.attname AS name, t.typname AS type FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  )
  return res.rows.map((r) => ({name: r.name as string, pgType: r.type as string}))
}

/** Fail before the COPY if DuckDB cannot bind the casts; name the offending column. */
export async function checkCasts(
  duck: DuckDBConnection,
  plan: ColumnPlan,
  from: string,
  label: string,
  format: SourceFormat,
): Promise<void> {
  try {
    await duck.runAndReadAll(`SELECT ${plan.columns.map((c) => c.expr).join(', ')} FROM ${from} LIMIT 0`)
  } catch (error) {
    for (const c of plan.columns) {
      if (!c.source) continue
      try {
        await duck.runAndReadAll(`SELECT ${c.expr} FROM ${from} LIMIT 0`)
      } catch (inner) {
        throw castError(
          label,
          {name: c.source, type: c.sourceType ?? '?'},
          c.name,
          c.kind,
          errorMessage(inner).split('\n')[0],
        )
      }
    }
    throw corruptFileError(label, format, error)
  }
}

/** After a runtime conversion error, find which column holds values that do not cast. */
export async function explainCastFailure(
  duck: DuckDBConnection,
  plan: ColumnPlan,
  from: string,
  label: string,
  error: unknown,
): Promise<DezcError> {
  for (const c of plan.columns) {
    if (!c.source) continue
    try {
      const target = c.expr.slice(c.expr.lastIndexOf(' AS ') + 4, -1)
      const q = `SELECT CAST(${quoteDuckIdent(c.source)} AS VARCHAR) AS v FROM ${from} WHERE ${quoteDuckIdent(c.source)} IS NOT NULL AND TRY_CAST(${quoteDuckIdent(c.source)} AS ${target}) IS NULL LIMIT 1`
      const r = await duck.runAndReadAll(q)
      const bad = r.getRowObjects()[0]
      if (bad)
        return castError(
          label,
          {name: c.source, type: c.sourceType ?? '?'},
          c.name,
          c.kind,
          `value "${String(bad.v)}" does not convert`,
        )
    } catch {
      // keep looking
    }
  }
  return new DezcError({
    code: 'UNCASTABLE_COLUMN',
    message: `${label}: a value could not be converted (${errorMessage(error).split('\n')[0]}).`,
    suggestion: 'Check that the file matches the dataset you named.',
    exit: ExitCode.FAILURE,
    cause: error,
  })
}

export async function loadPeriod(o: LoadOptions): Promise<LoadResult> {
  const {client, duck, table} = o
  const qt = quoteTable(table)
  const started = Date.now()
  const from = relation(o.file.path, o.format)
  const rowsFrom = o.streamed?.from ?? from
  let copyStream: (Writable & {rowCount?: number}) | undefined
  let inTx = false
  try {
    await client.query('BEGIN')
    inTx = true
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
    for (const ddl of LEDGER_DDL) await client.query(ddl)
    const prev = await client.query(
      `SELECT load_id FROM ${LEDGER_TABLE} WHERE active AND table_name = $1 AND dataset = $2 AND period = $3 FOR UPDATE`,
      [table, o.dataset.name, o.period],
    )
    const prevId: number | undefined = prev.rows[0] ? Number(prev.rows[0].load_id) : undefined
    if (prevId !== undefined && !o.force) {
      await client.query('ROLLBACK')
      inTx = false
      return {status: 'skipped', rows: 0, loadId: prevId, missingColumns: [], addedColumns: []}
    }
    const existing = await tableColumns(client, table)
    const plan = planColumns({
      columns: o.dataset.columns,
      fileColumns: o.source.columns,
      tableColumns: existing,
      strict: o.strict,
      table,
      file: o.label,
    })
    for (const w of plan.warnings) o.onWarning?.(w)
    await checkCasts(duck, plan, from, o.label, o.format)
    for (const ddl of tableDdl(qt, plan, existing, (k) => PG_TYPE_OF_KIND[k], LEDGER_TABLE)) await client.query(ddl)
    if (prevId !== undefined) {
      await client.query(`DELETE FROM ${qt} WHERE ${quoteIdent(LOAD_ID_COLUMN)} = $1`, [prevId])
      await client.query(`UPDATE ${LEDGER_TABLE} SET active = false WHERE load_id = $1`, [prevId])
    }
    const ins = await client.query(
      `INSERT INTO ${LEDGER_TABLE} (table_name, dataset, period, source_url, source_bytes, source_sha256, source_etag, source_last_modified, replaced_load_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING load_id`,
      [
        table,
        o.dataset.name,
        o.period,
        o.file.url,
        o.file.bytes,
        o.file.sha256,
        o.file.etag ?? null,
        o.file.lastModified ?? null,
        prevId ?? null,
      ],
    )
    const loadId = Number(ins.rows[0].load_id)

    // The COPY itself.
    const {from: copyFrom} = await import('pg-copy-streams')
    const colList = [...plan.columns.map((c) => quoteIdent(c.name)), quoteIdent(LOAD_ID_COLUMN)].join(', ')
    const stream = client.query(copyFrom(`COPY ${qt} (${colList}) FROM STDIN (FORMAT binary)`)) as Writable & {
      rowCount?: number
    }
    copyStream = stream
    let streamError: Error | undefined
    const failed = new Promise<never>((_, reject) => {
      stream.on('error', (e) => {
        streamError = e
        reject(e)
      })
    })
    failed.catch(() => {})
    const finished = new Promise<void>((resolve) => stream.on('finish', () => resolve()))
    const write = async (buf: Buffer) => {
      if (streamError) throw streamError
      if (!stream.write(buf)) await Promise.race([new Promise((r) => stream.once('drain', r)), failed])
    }
    const kinds = plan.columns.map((c) => c.kind)
    const loadIdCol = {kind: 'const8' as const, value: BigInt(loadId)}
    await write(COPY_HEADER)
    let rows = 0
    let lastReport = 0
    // One chunk in flight: DuckDB decodes the next vectors on its threads while this one is encoded
    // and written (measured: the wait for DuckDB halves, the load ~10 % faster).
    let next: Promise<DuckDBDataChunk | null> | undefined
    // A row group's file is kept until the next one is asked for: a bad value can be looked up in it.
    let current: string | undefined
    try {
      // Each relation is one streamed SELECT into the same COPY (a sequence waits for its next one).
      for await (const rel of typeof rowsFrom === 'string' ? [rowsFrom] : rowsFrom) {
        current = rel
        const result = await duck.stream(`SELECT ${plan.columns.map((c) => c.expr).join(', ')} FROM ${rel}`)
        // A rejection is handled where `next` is awaited; the no-op catch keeps it from counting as
        // unhandled while the previous chunk is still being written.
        const fetchNext = () => {
          const p = result.fetchChunk()
          p.catch(() => {})
          return p
        }
        next = fetchNext()
        for (;;) {
          if (o.signal.aborted) throw new InterruptedError()
          const chunk = await next
          if (!chunk || chunk.rowCount === 0) break
          next = fetchNext()
          const n = chunk.rowCount
          await write(encodeRows([...chunkColumns(chunk, kinds), loadIdCol], n))
          rows += n
          const now = Date.now()
          if (now - lastReport > 200) {
            lastReport = now
            o.onRows?.(rows, o.source.rows)
          }
        }
        next = undefined
      }
    } catch (error) {
      // Let a fetch still running on DuckDB's threads settle before the caller closes the connection.
      await next?.catch(() => {})
      // A download that failed ends the stream early: its error is the reason, not DuckDB's.
      if (o.streamed?.error() !== undefined) throw o.streamed.error()
      if (error instanceof DezcError || streamError || isPgError(error)) throw error
      const msg = errorMessage(error)
      if (/Conversion Error|Could not convert|Invalid Input Error: Could not/i.test(msg))
        throw await explainCastFailure(
          duck,
          plan,
          typeof rowsFrom === 'string' || current === undefined ? from : current,
          o.label,
          error,
        )
      throw corruptFileError(o.label, o.format, error)
    }
    // A streamed source commits only when every byte arrived (the download may have been cut).
    const facts = o.streamed ? await o.streamed.complete : o.file
    await write(COPY_TRAILER)
    stream.end()
    await Promise.race([finished, failed])
    o.onRows?.(rows, o.source.rows)
    const copied = stream.rowCount ?? rows
    checkRowCount(o.label, o.source.rows, copied)
    const seconds = (Date.now() - started) / 1000
    await client.query(
      `UPDATE ${LEDGER_TABLE} SET rows = $2, finished_at = now(), seconds = $3, source_bytes = $4, source_sha256 = $5, source_etag = $6, source_last_modified = $7 WHERE load_id = $1`,
      [loadId, copied, seconds, facts.bytes, facts.sha256, facts.etag ?? null, facts.lastModified ?? null],
    )
    if (o.signal.aborted) throw new InterruptedError()
    await client.query('COMMIT')
    inTx = false
    return {
      status: prevId === undefined ? 'loaded' : 'replaced',
      rows: copied,
      loadId,
      replacedLoadId: prevId,
      missingColumns: plan.missing,
      addedColumns: [...plan.add.map((a) => a.name), ...(plan.create ? [] : [])],
    }
  } catch (error) {
    if (copyStream && !copyStream.destroyed) {
      // Sends CopyFail: the server aborts the COPY; the ROLLBACK below ends the transaction.
      await new Promise<void>((resolve) => {
        copyStream!.once('error', () => resolve())
        copyStream!.once('close', () => resolve())
        copyStream!.destroy(error instanceof Error ? error : new Error(String(error)))
        setTimeout(resolve, 2000).unref()
      })
    }
    if (inTx) await withTimeout(client.query('ROLLBACK'), 5000).catch(() => {})
    if (o.signal.aborted) {
      throw new DezcError({
        code: 'INTERRUPTED',
        message: `Interrupted while loading ${o.label}: the transaction was rolled back, ${table} is unchanged.`,
        suggestion: 'Re-run the same command to load it (loaded periods are skipped).',
        exit: ExitCode.INTERRUPTED,
      })
    }
    throw pgLoadError(error, o.label, table)
  }
}

/** The rows written must be the rows the parquet footer announced (CSV has no footer). */
export function checkRowCount(label: string, expected: number | undefined, got: number): void {
  if (expected !== undefined && got !== expected) {
    throw new DezcError({
      code: 'ROW_COUNT_MISMATCH',
      message: `${label}: the parquet footer says ${expected} rows but ${got} were read; nothing was committed.`,
      suggestion: 'Re-run with --no-cache to download the file again.',
      exit: ExitCode.FAILURE,
    })
  }
}

function isPgError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'severity' in e && 'code' in e
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())])
}
