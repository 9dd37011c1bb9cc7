/**
 * Reading source files with DuckDB's Node API: schema first (DESCRIBE), then a streamed SELECT
 * whose chunks (2,048-row vectors) are turned into encoder columns without per-value objects.
 * Extension autoload/autoinstall are off: dezc never lets DuckDB download anything.
 */
import type {DuckDBConnection, DuckDBDataChunk, DuckDBInstance} from '@duckdb/node-api'
import {DezcError, ExitCode, errorMessage} from '../core/errors.js'
import type {EncColumn} from './copy-encoder.js'
import {encoderKind} from './copy-encoder.js'
import type {PgKind} from './datasets.js'
import type {FileColumn} from './schema-map.js'

export type SourceFormat = 'parquet' | 'csv'

let instance: Promise<DuckDBInstance> | undefined

/** One in-memory DuckDB per process, bounded in threads and memory. */
export async function duckInstance(): Promise<DuckDBInstance> {
  instance ??= (async () => {
    const {DuckDBInstance} = await import('@duckdb/node-api')
    return DuckDBInstance.create(':memory:', {
      threads: '2',
      memory_limit: '512MB',
      autoload_known_extensions: 'false',
      autoinstall_known_extensions: 'false',
    })
  })()
  return instance
}

export async function duckConnect(): Promise<DuckDBConnection> {
  return (await duckInstance()).connect()
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`
}

/** The DuckDB table function reading a file. */
export function relation(file: string, format: SourceFormat): string {
  if (format === 'parquet') return `read_parquet(${sqlString(file)})`
  return `read_csv(${sqlString(file)}, header = true, auto_detect = true, sample_size = 20480)`
}

/**
 * The `read_csv` of a stream (a FIFO) that holds the same CSV as `sample`: DuckDB's sniffer runs
 * on the sample exactly as on a local file, and its dialect and column types are given to the
 * stream's reader explicitly (a pipe cannot be sniffed and then re-read).
 */
export async function csvStreamRelation(
  conn: DuckDBConnection,
  sample: string,
  pipe: string,
  label: string,
): Promise<string> {
  let r: Record<string, unknown>
  try {
    const res = await conn.runAndReadAll(`SELECT * FROM sniff_csv(${sqlString(sample)}, sample_size = 20480)`)
    r = res.getRowObjectsJS()[0] as Record<string, unknown>
  } catch (error) {
    throw corruptFileError(label, 'csv', error)
  }
  const opt = (v: unknown) => (typeof v === 'string' && v !== '(empty)' ? v : undefined)
  const columns = (r.Columns as Array<{name: string; type: string}>)
    .map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`)
    .join(', ')
  const parts = [
    sqlString(pipe),
    'auto_detect = false',
    `header = ${r.HasHeader ? 'true' : 'false'}`,
    `delim = ${sqlString(opt(r.Delimiter) ?? ',')}`,
    // A sample without quoted fields says "no quote"; later rows may still quote, as CSV writers do.
    `quote = ${sqlString(opt(r.Quote) ?? '"')}`,
    `escape = ${sqlString(opt(r.Escape) ?? opt(r.Quote) ?? '"')}`,
    `skip = ${Number(r.SkipRows ?? 0)}`,
    `columns = {${columns}}`,
    // Small reads: rows go on as soon as a buffer's worth arrived (the default waits for 32 MB).
    'buffer_size = 1048576',
  ]
  if (opt(r.DateFormat)) parts.push(`dateformat = ${sqlString(opt(r.DateFormat)!)}`)
  if (opt(r.TimestampFormat)) parts.push(`timestampformat = ${sqlString(opt(r.TimestampFormat)!)}`)
  return `read_csv(${parts.join(', ')})`
}

export interface SourceInfo {
  columns: FileColumn[]
  /** Rows according to the parquet footer (undefined for CSV). */
  rows?: number
}

export async function describeSource(
  conn: DuckDBConnection,
  file: string,
  format: SourceFormat,
  label: string,
): Promise<SourceInfo> {
  try {
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation(file, format)}`)
    const columns = reader.getRowObjects().map((r) => ({name: String(r.column_name), type: String(r.column_type)}))
    let rows: number | undefined
    if (format === 'parquet') {
      const meta = await conn.runAndReadAll(
        `SELECT CAST(sum(num_rows) AS DOUBLE) AS n FROM parquet_file_metadata(${sqlString(file)})`,
      )
      rows = Number(meta.getRowObjects()[0]?.n ?? 0)
    }
    return {columns, rows}
  } catch (error) {
    throw corruptFileError(label, format, error)
  }
}

export function corruptFileError(label: string, format: SourceFormat, error: unknown): DezcError {
  const msg = errorMessage(error).split('\n')[0]
  return new DezcError({
    code: 'CORRUPT_FILE',
    message: `${label} is not a readable ${format === 'parquet' ? 'parquet' : 'CSV'} file (${msg}).`,
    suggestion: [
      'The download may be truncated or the URL may serve something else: re-run with --no-cache to download it again.',
      'With --file, check that the file is complete.',
    ],
    exit: ExitCode.FAILURE,
    cause: error,
  })
}

/** Typed views over one DuckDB vector, in the encoder's layout. */
export function vectorToColumn(vector: unknown, kind: PgKind, n: number): EncColumn {
  const v = vector as {
    items?: ArrayBufferView
    validity?: {data: BigUint64Array | null}
    dataView?: DataView
    getItem(i: number): unknown
  }
  const vd = v.validity?.data
  const valid = vd ? new Uint8Array(vd.buffer, vd.byteOffset, Math.ceil(n / 8)) : null
  const k = encoderKind(kind)
  if (k === 'text') {
    const dv = v.dataView as DataView
    return {
      kind: 'text',
      structs: new Uint8Array(dv.buffer, dv.byteOffset, n * 16),
      valid,
      longString: (i) => v.getItem(i) as string,
    }
  }
  // Boolean vectors keep a DataView instead of a typed array; both expose buffer + byteOffset.
  const items = (v.items ?? v.dataView) as ArrayBufferView
  if (!items) throw new Error(`DuckDB vector layout changed: no items for a ${kind} column`)
  switch (k) {
    case 'int8':
    case 'timestamp':
      return {kind: k, words: new Int32Array(items.buffer, items.byteOffset, n * 2), valid}
    case 'int4':
    case 'date':
      return {kind: k, values: new Int32Array(items.buffer, items.byteOffset, n), valid}
    case 'int2':
      return {kind: k, values: new Int16Array(items.buffer, items.byteOffset, n), valid}
    case 'float8':
      return {kind: k, values: new Float64Array(items.buffer, items.byteOffset, n), valid}
    case 'float4':
      return {kind: k, values: new Float32Array(items.buffer, items.byteOffset, n), valid}
    case 'bool':
      return {kind: k, values: new Uint8Array(items.buffer, items.byteOffset, n), valid}
  }
}

export function chunkColumns(chunk: DuckDBDataChunk, kinds: PgKind[]): EncColumn[] {
  const n = chunk.rowCount
  return kinds.map((k, i) => vectorToColumn(chunk.getColumnVector(i), k, n))
}
