/**
 * Synthetic TLC files written by DuckDB with each dataset's real column names and physical types
 * for the month (including the drift: BIGINT->INTEGER ids from 2023-02, airport_fee vs Airport_fee,
 * null-typed columns, cbd_congestion_fee from 2025), realistic values and NULLs. Plus aggregate
 * checksums computed the same way from a source file (DuckDB) and from a loaded table (PostgreSQL).
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import type pg from 'pg'

type Col = [name: string, type: string, expr: string]

/** Deterministic pseudo-random integer in [0, m) from the row number i. */
const h = (salt: number, m: number) => `(hash(i * ${salt} + ${salt}) % ${m})`
const money = (salt: number, max: number) => `CAST(${h(salt, max * 100)} AS DOUBLE) / 100`
const nullEvery = (n: number, expr: string, salt = 7) => `CASE WHEN ${h(salt, n)} = 0 THEN NULL ELSE ${expr} END`

function ts(period: string, offsetExpr: string): string {
  return `TIMESTAMP '${period}-01 00:00:00' + to_microseconds(CAST(${offsetExpr} AS BIGINT))`
}

function yellowCols(period: string): Col[] {
  const newTypes = period >= '2023-02'
  const int = newTypes ? 'INTEGER' : 'BIGINT'
  const pickup = ts(period, `i * 1000000 + ${h(3, 999999)}`)
  const cols: Col[] = [
    ['VendorID', int, `1 + ${h(1, 2)}`],
    ['tpep_pickup_datetime', 'TIMESTAMP', pickup],
    [
      'tpep_dropoff_datetime',
      'TIMESTAMP',
      `${pickup} + to_microseconds(CAST(60000000 + ${h(4, 3600)} * 1000000 AS BIGINT))`,
    ],
    ['passenger_count', newTypes ? 'BIGINT' : 'DOUBLE', nullEvery(40, `1 + ${h(5, 4)}`)],
    ['trip_distance', 'DOUBLE', money(6, 30)],
    ['RatecodeID', newTypes ? 'BIGINT' : 'DOUBLE', nullEvery(40, `1 + ${h(8, 2)}`)],
    ['store_and_fwd_flag', 'VARCHAR', nullEvery(40, `CASE WHEN ${h(9, 20)} = 0 THEN 'Y' ELSE 'N' END`)],
    ['PULocationID', int, `1 + ${h(10, 265)}`],
    ['DOLocationID', int, `1 + ${h(11, 265)}`],
    ['payment_type', 'BIGINT', `${h(12, 5)}`],
    ['fare_amount', 'DOUBLE', money(13, 80)],
    ['extra', 'DOUBLE', money(14, 3)],
    ['mta_tax', 'DOUBLE', '0.5'],
    ['tip_amount', 'DOUBLE', money(15, 20)],
    ['tolls_amount', 'DOUBLE', `CASE WHEN ${h(16, 10)} = 0 THEN 6.55 ELSE 0 END`],
    ['improvement_surcharge', 'DOUBLE', '0.3'],
    ['total_amount', 'DOUBLE', money(17, 120)],
    ['congestion_surcharge', 'DOUBLE', nullEvery(14, '2.5', 18)],
  ]
  // airport_fee: null-typed (physical INT32, all NULL) 2019-01..2020-07; DOUBLE all NULL in 2021-01;
  // DOUBLE with values later; capitalised from 2023-02.
  if (period < '2020-08') cols.push(['airport_fee', 'INTEGER', 'NULL'])
  else if (period < '2021-07') cols.push(['airport_fee', 'DOUBLE', 'NULL'])
  else
    cols.push([
      newTypes ? 'Airport_fee' : 'airport_fee',
      'DOUBLE',
      nullEvery(14, `CASE WHEN ${h(19, 10)} = 0 THEN 1.75 ELSE 0 END`, 18),
    ])
  if (period >= '2025-01') cols.push(['cbd_congestion_fee', 'DOUBLE', nullEvery(14, '0.75', 18)])
  return cols
}

function greenCols(period: string): Col[] {
  const newTypes = period >= '2023-02'
  const int = newTypes ? 'INTEGER' : 'BIGINT'
  const pickup = ts(period, `i * 7000000 + ${h(3, 999999)}`)
  const cols: Col[] = [
    ['VendorID', int, `1 + ${h(1, 2)}`],
    ['lpep_pickup_datetime', 'TIMESTAMP', pickup],
    ['lpep_dropoff_datetime', 'TIMESTAMP', `${pickup} + to_microseconds(CAST(${h(4, 3600)} * 1000000 AS BIGINT))`],
    ['store_and_fwd_flag', 'VARCHAR', nullEvery(30, "'N'")],
    ['RatecodeID', newTypes ? 'BIGINT' : 'DOUBLE', nullEvery(30, `1 + ${h(8, 5)}`)],
    ['PULocationID', int, `1 + ${h(10, 265)}`],
    ['DOLocationID', int, `1 + ${h(11, 265)}`],
    ['passenger_count', newTypes ? 'BIGINT' : 'DOUBLE', nullEvery(30, `1 + ${h(5, 4)}`)],
    ['trip_distance', 'DOUBLE', money(6, 20)],
    ['fare_amount', 'DOUBLE', money(13, 60)],
    ['extra', 'DOUBLE', money(14, 3)],
    ['mta_tax', 'DOUBLE', '0.5'],
    ['tip_amount', 'DOUBLE', money(15, 10)],
    ['tolls_amount', 'DOUBLE', '0.0'],
    // ehail_fee: null-typed 2019-09..2023-01, DOUBLE (always NULL) otherwise.
    ['ehail_fee', period >= '2019-09' && !newTypes ? 'INTEGER' : 'DOUBLE', 'NULL'],
    ['improvement_surcharge', 'DOUBLE', '0.3'],
    ['total_amount', 'DOUBLE', money(17, 90)],
    ['payment_type', newTypes ? 'BIGINT' : 'DOUBLE', nullEvery(30, `1 + ${h(12, 4)}`)],
    ['trip_type', newTypes ? 'BIGINT' : 'DOUBLE', nullEvery(30, `1 + ${h(20, 2)}`)],
    ['congestion_surcharge', 'DOUBLE', nullEvery(30, '0.0')],
  ]
  if (period >= '2025-01') cols.push(['cbd_congestion_fee', 'DOUBLE', nullEvery(14, '0.75', 18)])
  return cols
}

function fhvCols(period: string): Col[] {
  const newTypes = period >= '2023-02'
  const loc = newTypes ? 'BIGINT' : 'DOUBLE'
  const pickup = ts(period, `i * 1500000`)
  // fhv 2019-02 really has a dropOff_datetime in year 3019.
  const dropoff =
    period === '2019-02'
      ? `CASE WHEN i = 5 THEN TIMESTAMP '3019-02-01 10:00:00' ELSE ${pickup} + INTERVAL 20 MINUTE END`
      : `${pickup} + INTERVAL 20 MINUTE`
  return [
    ['dispatching_base_num', 'VARCHAR', `'B0' || lpad(CAST(${h(1, 3000)} AS VARCHAR), 4, '0')`],
    ['pickup_datetime', 'TIMESTAMP', pickup],
    ['dropOff_datetime', 'TIMESTAMP', dropoff],
    ['PUlocationID', loc, nullEvery(5, `1 + ${h(10, 265)}`)],
    ['DOlocationID', loc, nullEvery(5, `1 + ${h(11, 265)}`, 8)],
    ['SR_Flag', newTypes ? 'BIGINT' : 'INTEGER', newTypes ? nullEvery(2, '1') : 'NULL'],
    ['Affiliated_base_number', 'VARCHAR', nullEvery(10, `'B0' || lpad(CAST(${h(2, 3000)} AS VARCHAR), 4, '0')`)],
  ]
}

function fhvhvCols(period: string): Col[] {
  const int = period >= '2023-02' ? 'INTEGER' : 'BIGINT'
  const pickup = ts(period, `i * 200000`)
  const flag = (salt: number) => `CASE WHEN ${h(salt, 10)} = 0 THEN 'Y' ELSE 'N' END`
  const cols: Col[] = [
    ['hvfhs_license_num', 'VARCHAR', `CASE WHEN ${h(1, 3)} = 0 THEN 'HV0005' ELSE 'HV0003' END`],
    ['dispatching_base_num', 'VARCHAR', `'B0' || lpad(CAST(${h(2, 3000)} AS VARCHAR), 4, '0')`],
    ['originating_base_num', 'VARCHAR', nullEvery(4, `'B0' || lpad(CAST(${h(3, 3000)} AS VARCHAR), 4, '0')`)],
    ['request_datetime', 'TIMESTAMP', `${pickup} - INTERVAL 5 MINUTE`],
    ['on_scene_datetime', 'TIMESTAMP', nullEvery(4, `${pickup} - INTERVAL 1 MINUTE`)],
    ['pickup_datetime', 'TIMESTAMP', pickup],
    ['dropoff_datetime', 'TIMESTAMP', `${pickup} + INTERVAL 17 MINUTE`],
    ['PULocationID', int, `1 + ${h(10, 265)}`],
    ['DOLocationID', int, `1 + ${h(11, 265)}`],
    ['trip_miles', 'DOUBLE', money(6, 25)],
    ['trip_time', 'BIGINT', `60 + ${h(7, 3600)}`],
    ['base_passenger_fare', 'DOUBLE', money(13, 70)],
    ['tolls', 'DOUBLE', '0.0'],
    ['bcf', 'DOUBLE', money(14, 3)],
    ['sales_tax', 'DOUBLE', money(15, 6)],
    ['congestion_surcharge', 'DOUBLE', nullEvery(9, '2.75')],
    ['airport_fee', period === '2020-04' ? 'INTEGER' : 'DOUBLE', period === '2020-04' ? 'NULL' : nullEvery(9, '0.0')],
    ['tips', 'DOUBLE', money(16, 10)],
    ['driver_pay', 'DOUBLE', money(17, 60)],
    ['shared_request_flag', 'VARCHAR', flag(20)],
    ['shared_match_flag', 'VARCHAR', flag(21)],
    ['access_a_ride_flag', 'VARCHAR', `' '`],
    ['wav_request_flag', 'VARCHAR', flag(22)],
    ['wav_match_flag', 'VARCHAR', period <= '2019-03' ? 'NULL' : flag(23)],
  ]
  if (period >= '2025-01') cols.push(['cbd_congestion_fee', 'DOUBLE', nullEvery(3, '1.5')])
  return cols
}

export type TripDataset = 'yellow' | 'green' | 'fhv' | 'fhvhv'

export function tripColumns(dataset: TripDataset, period: string): Col[] {
  return {yellow: yellowCols, green: greenCols, fhv: fhvCols, fhvhv: fhvhvCols}[dataset](period)
}

async function duck() {
  const {DuckDBInstance} = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:', {
    autoload_known_extensions: 'false',
    autoinstall_known_extensions: 'false',
    threads: '2',
  })
  return db.connect()
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`

/** Write <dataset>_tripdata_<period>.parquet with `rows` rows; extraColumns are appended (drift tests). */
export async function writeTripParquet(
  file: string,
  dataset: TripDataset,
  period: string,
  rows: number,
  options: {extraColumns?: Col[]; rowGroupSize?: number; replace?: Record<string, Col>} = {},
): Promise<void> {
  const cols = tripColumns(dataset, period).map((c) => options.replace?.[c[0]] ?? c)
  cols.push(...(options.extraColumns ?? []))
  const select = cols.map(([name, type, expr]) => `CAST(${expr} AS ${type}) AS "${name}"`).join(',\n  ')
  const conn = await duck()
  try {
    await conn.run(
      `COPY (SELECT ${select} FROM range(${rows}) t(i) ORDER BY i) TO ${q(file)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${options.rowGroupSize ?? 122880})`,
    )
  } finally {
    conn.closeSync()
  }
}

/**
 * The same rows as a course-backup-style csv.gz (DataTalksClub/nyc-tlc-data was written by pandas:
 * integer columns holding NULLs became floats such as "1.0", NULL is an empty field).
 */
export async function writeTripCsvGz(
  parquet: string,
  out: string,
  floatColumns: string[] = ['passenger_count', 'RatecodeID', 'payment_type'],
): Promise<void> {
  const conn = await duck()
  try {
    const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${q(parquet)})`)
    const cols = d.getRowObjects().map((r) => String(r.column_name))
    const select = cols
      .map((c) => (floatColumns.includes(c) ? `CAST("${c}" AS DOUBLE) AS "${c}"` : `"${c}"`))
      .join(', ')
    await conn.run(
      `COPY (SELECT ${select} FROM read_parquet(${q(parquet)})) TO ${q(out)} (FORMAT csv, HEADER, COMPRESSION gzip)`,
    )
  } finally {
    conn.closeSync()
  }
}

/** The taxi zone lookup CSV: 265 rows like the TLC's (ids 264/265 as revised in 2024). */
export function zonesCsv(): string {
  const boroughs = ['Bronx', 'Brooklyn', 'EWR', 'Manhattan', 'Queens', 'Staten Island']
  const lines = ['"LocationID","Borough","Zone","service_zone"']
  for (let id = 1; id <= 263; id++) {
    const b = id === 1 ? 'EWR' : boroughs[id % boroughs.length]
    const zone = id === 1 ? 'Newark Airport' : `Zone ${id}${id % 7 === 0 ? ' / Heights, "Park"' : ''}`
    const sz = id === 1 ? 'EWR' : b === 'Manhattan' ? 'Yellow Zone' : 'Boro Zone'
    lines.push(`${id},"${b}","${zone.replaceAll('"', '""')}","${sz}"`)
  }
  lines.push('264,"Unknown","Unknown/N/A","N/A"', '265,"N/A","N/A/Outside of NYC","N/A"')
  return lines.join('\n') + '\n'
}

export type Aggregates = Record<string, string>

type Kind = 'int' | 'float' | 'ts' | 'text'

function kindOf(type: string): Kind {
  if (type === 'TIMESTAMP') return 'ts'
  if (type === 'VARCHAR') return 'text'
  if (type === 'DOUBLE') return 'float'
  return 'int'
}

/** Canonical column name -> aggregate kind, for a dataset (names as the table uses them). */
export const CANONICAL_KINDS: Record<TripDataset, Record<string, Kind>> = {
  yellow: Object.fromEntries(
    yellowCols('2025-01').map(([n, t]) => [
      n === 'Airport_fee' ? 'airport_fee' : n,
      n === 'passenger_count' || n === 'RatecodeID' ? 'int' : kindOf(t),
    ]),
  ),
  green: Object.fromEntries(greenCols('2025-01').map(([n, t]) => [n, kindOf(t)])),
  fhv: Object.fromEntries(fhvCols('2023-02').map(([n, t]) => [n, kindOf(t)])),
  fhvhv: Object.fromEntries(fhvhvCols('2025-01').map(([n, t]) => [n, kindOf(t)])),
}

/** count(*) plus per column: non-NULL count and an exact sum (integers, cents, µs, text lengths). */
export async function sourceAggregates(file: string, kinds: Record<string, Kind>): Promise<Aggregates> {
  const conn = await duck()
  try {
    const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${q(file)})`)
    const present = new Map(d.getRowObjects().map((r) => [String(r.column_name).toLowerCase(), String(r.column_name)]))
    const parts = ['CAST(count(*) AS VARCHAR) AS "rows"']
    for (const [name, kind] of Object.entries(kinds)) {
      const src = present.get(name.toLowerCase())
      if (!src) {
        parts.push(`'0' AS "${name}:n"`, `NULL AS "${name}:s"`)
        continue
      }
      const c = `"${src}"`
      const sum =
        kind === 'int'
          ? `sum(CAST(${c} AS BIGINT))`
          : kind === 'float'
            ? `sum(CAST(round(CAST(${c} AS DOUBLE) * 100) AS BIGINT))`
            : kind === 'ts'
              ? `sum(epoch_us(${c}))`
              : `sum(strlen(${c}))`
      parts.push(`CAST(count(${c}) AS VARCHAR) AS "${name}:n"`, `CAST(${sum} AS VARCHAR) AS "${name}:s"`)
    }
    const r = await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM read_parquet(${q(file)})`)
    return normalise(r.getRowObjects()[0] as Record<string, unknown>)
  } finally {
    conn.closeSync()
  }
}

/** The same aggregates over the rows of one load (or all rows) of a PostgreSQL table. */
export async function tableAggregates(
  client: pg.Client,
  table: string,
  kinds: Record<string, Kind>,
  where = 'true',
): Promise<Aggregates> {
  const parts = ['count(*)::text AS "rows"']
  for (const [name, kind] of Object.entries(kinds)) {
    const c = `"${name}"`
    const sum =
      kind === 'int'
        ? `sum(${c})`
        : kind === 'float'
          ? `sum(round(${c} * 100)::bigint)`
          : kind === 'ts'
            ? `sum((floor(extract(epoch from date_trunc('second', ${c})))::bigint * 1000000 + extract(microseconds from ${c})::bigint % 1000000)::numeric)`
            : `sum(octet_length(${c}))`
    parts.push(`count(${c})::text AS "${name}:n"`, `(${sum})::text AS "${name}:s"`)
  }
  const r = await client.query(`SELECT ${parts.join(', ')} FROM ${table} WHERE ${where}`)
  return normalise(r.rows[0])
}

function normalise(row: Record<string, unknown>): Aggregates {
  const out: Aggregates = {}
  for (const [k, v] of Object.entries(row))
    out[k] = v === null || v === undefined ? 'null' : String(v).replace(/\.0+$/, '')
  return out
}

/** Row groups of a parquet file as DuckDB's parquet_metadata describes them, in the footer's order. */
export async function rowGroupLayout(
  file: string,
): Promise<Array<{id: number; rows: number; start: number; end: number}>> {
  const conn = await duck()
  try {
    const r = await conn.runAndReadAll(
      `SELECT row_group_id::INT AS id, any_value(row_group_num_rows)::INT AS rows,
         min(coalesce(nullif(dictionary_page_offset, 0), data_page_offset))::BIGINT AS start,
         max(coalesce(nullif(dictionary_page_offset, 0), data_page_offset) + total_compressed_size)::BIGINT AS "end"
       FROM parquet_metadata(${q(file)}) GROUP BY row_group_id ORDER BY row_group_id`,
    )
    return r
      .getRowObjectsJS()
      .map((x) => ({id: x.id as number, rows: x.rows as number, start: Number(x.start), end: Number(x.end)}))
  } finally {
    conn.closeSync()
  }
}

/**
 * The same file with its footer listing the row groups in another order (`order(n)` gives the
 * footer positions): the bytes stay where they are, so the footer's order is no longer the order of
 * the offsets. DuckDB and pyarrow only write row groups in order; TLC files need not be.
 */
export async function writeReorderedParquet(src: string, out: string, order: (n: number) => number[]): Promise<void> {
  const {footerLength, footerTrailer, parseFooter, reorderRowGroups} =
    await import('../../src/ingest/parquet-footer.js')
  const buf = fs.readFileSync(src)
  const len = footerLength(buf.subarray(buf.length - 8))
  const footer = parseFooter(buf.subarray(buf.length - 8 - len, buf.length - 8))
  const meta = reorderRowGroups(footer, order(footer.rowGroups.length))
  fs.writeFileSync(out, Buffer.concat([buf.subarray(0, buf.length - 8 - len), meta, footerTrailer(meta.length)]))
}

/** The ledger rows of a table (oldest first); throws when there is no ledger yet. */
export async function ledgerRows(client: pg.Client, table: string) {
  return (
    await client.query(
      'SELECT load_id::int, period, active, rows::int, source_bytes::int, source_sha256 FROM dezc_ingest_ledger WHERE table_name = $1 ORDER BY load_id',
      [table],
    )
  ).rows as Array<{
    load_id: number
    period: string
    active: boolean
    rows: number
    source_bytes: number
    source_sha256: string
  }>
}

export async function tableExists(client: pg.Client, table: string): Promise<boolean> {
  return (await client.query('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0].ok
}

/** Rows a COPY running now has processed (0 when none runs), seen from another session. */
export async function copiedRows(client: pg.Client): Promise<number> {
  const p = await client.query('SELECT tuples_processed FROM pg_stat_progress_copy').catch(() => ({rows: []}))
  return p.rows.length > 0 ? Number((p.rows[0] as {tuples_processed: string}).tuples_processed) : 0
}

/** While `run` runs: `sent()` (the mirror's bytes sent) when a COPY first had rows (undefined: never). */
export async function sentWhenRowsArrived<R>(
  client: pg.Client,
  sent: () => number,
  run: () => Promise<R>,
): Promise<[R, number?]> {
  let sentAtFirstRows: number | undefined
  let busy = false
  const watch = setInterval(async () => {
    if (sentAtFirstRows !== undefined || busy) return
    busy = true
    const before = sent()
    const n = await copiedRows(client)
    busy = false
    if (n > 0) sentAtFirstRows = before
  }, 50)
  try {
    return [await run(), sentAtFirstRows]
  } finally {
    clearInterval(watch)
  }
}

/**
 * The table holds one active load of a month: the ledger records the served file's size and sha256,
 * and the rows match the parquet source by count and aggregates.
 */
export async function expectLoadedOnce(
  client: pg.Client,
  table: string,
  month: {served: string; parquet: string; kinds?: Record<string, Kind>},
): Promise<void> {
  const {expect} = await import('vitest')
  const active = (await ledgerRows(client, table)).filter((r) => r.active)
  expect(active).toHaveLength(1)
  const served = fs.readFileSync(month.served)
  expect(active[0]).toMatchObject({
    source_bytes: served.length,
    source_sha256: createHash('sha256').update(served).digest('hex'),
  })
  const kinds = month.kinds ?? CANONICAL_KINDS.yellow
  expect(await tableAggregates(client, table, kinds)).toEqual(await sourceAggregates(month.parquet, kinds))
}
