import {describe, expect, it} from 'vitest'
import {
  COPY_HEADER,
  COPY_TRAILER,
  encodeRows,
  textColumnFromStrings,
  type EncColumn,
} from '../../../src/ingest/copy-encoder.js'
import {chunkColumns} from '../../../src/ingest/reader.js'
import type {PgKind} from '../../../src/ingest/datasets.js'

const PG_EPOCH_US = 946_684_800_000_000n

/** Reference decoder for binary COPY tuples (independent of the encoder's tricks). */
function decode(buf: Buffer, kinds: string[]): unknown[][] {
  const rows: unknown[][] = []
  let p = 0
  while (p < buf.length) {
    const n = buf.readInt16BE(p)
    p += 2
    expect(n).toBe(kinds.length)
    const row: unknown[] = []
    for (const kind of kinds) {
      const len = buf.readInt32BE(p)
      p += 4
      if (len === -1) {
        row.push(null)
        continue
      }
      const v = buf.subarray(p, p + len)
      p += len
      switch (kind) {
        case 'int8':
        case 'const8':
          row.push(v.readBigInt64BE(0))
          break
        case 'timestamp':
          row.push(v.readBigInt64BE(0) + PG_EPOCH_US)
          break
        case 'int4':
          row.push(v.readInt32BE(0))
          break
        case 'date':
          row.push(v.readInt32BE(0) + 10957)
          break
        case 'int2':
          row.push(v.readInt16BE(0))
          break
        case 'float8':
          row.push(v.readDoubleBE(0))
          break
        case 'float4':
          row.push(v.readFloatBE(0))
          break
        case 'bool':
          row.push(v[0] === 1)
          break
        default:
          row.push(v.toString('utf8'))
      }
    }
    rows.push(row)
  }
  return rows
}

function validity(values: unknown[]): Uint8Array {
  const v = new Uint8Array(Math.ceil(values.length / 8))
  values.forEach((x, i) => {
    if (x !== null) v[i >> 3] |= 1 << (i & 7)
  })
  return v
}

describe('binary COPY encoder', () => {
  it('has the PostgreSQL signature, flags, extension length and trailer', () => {
    expect(COPY_HEADER.toString('latin1', 0, 11)).toBe('PGCOPY\n\xff\r\n\0')
    expect(COPY_HEADER.length).toBe(19)
    expect(COPY_TRAILER.readInt16BE(0)).toBe(-1)
  })

  it('round-trips every kind, NULLs, negative values, timestamps on both sides of 2000 and UTF-8 text', () => {
    const int8 = [1n, null, -5n, 9_007_199_254_740_993n, -(2n ** 63n)]
    const ts = [0n, 946_684_800_000_000n, null, 1_609_459_200_123_456n, 33_099_840_000_000_000n] // 1970, 2000, -, 2021, 3019
    const f8 = [1.5, null, -0.01, 1e300, 0]
    const i4 = [2147483647, -2147483648, null, 0, 42]
    const i2 = [1, null, -32768, 32767, 0]
    const f4 = [0.5, null, -2.25, 1024, 0]
    const bools = [1, 0, null, 1, 0]
    const dates = [0, 10957, -1, null, 19000]
    const text = ['N', null, 'Ünïcödé 🚕', 'a string longer than twelve bytes', '']
    const words = (vals: Array<bigint | null>) => new Int32Array(new BigInt64Array(vals.map((v) => v ?? 0n)).buffer)
    const cols: EncColumn[] = [
      {kind: 'int8', words: words(int8), valid: validity(int8)},
      {kind: 'timestamp', words: words(ts), valid: validity(ts)},
      {kind: 'float8', values: new Float64Array(f8.map((v) => v ?? 0)), valid: validity(f8)},
      {kind: 'int4', values: new Int32Array(i4.map((v) => v ?? 0)), valid: validity(i4)},
      {kind: 'int2', values: new Int16Array(i2.map((v) => v ?? 0)), valid: validity(i2)},
      {kind: 'float4', values: new Float32Array(f4.map((v) => v ?? 0)), valid: validity(f4)},
      {kind: 'bool', values: new Uint8Array(bools.map((v) => v ?? 0)), valid: validity(bools)},
      {kind: 'date', values: new Int32Array(dates.map((v) => v ?? 0)), valid: validity(dates)},
      textColumnFromStrings(text),
      {kind: 'const8', value: 77n},
    ]
    const rows = decode(encodeRows(cols, 5), [
      'int8',
      'timestamp',
      'float8',
      'int4',
      'int2',
      'float4',
      'bool',
      'date',
      'text',
      'const8',
    ])
    for (let i = 0; i < 5; i++) {
      expect(rows[i]).toEqual([
        int8[i],
        ts[i],
        f8[i],
        i4[i],
        i2[i],
        f4[i],
        bools[i] === null ? null : bools[i] === 1,
        dates[i],
        text[i],
        77n,
      ])
    }
  })

  it('treats a null validity mask as "no NULLs"', () => {
    const rows = decode(encodeRows([{kind: 'float8', values: new Float64Array([1, 2, 3]), valid: null}], 3), ['float8'])
    expect(rows).toEqual([[1], [2], [3]])
  })

  it('encodes real DuckDB vectors (the private layout this relies on) to the values DuckDB reports', async () => {
    const {DuckDBInstance} = await import('@duckdb/node-api')
    const db = await DuckDBInstance.create(':memory:', {
      autoload_known_extensions: 'false',
      autoinstall_known_extensions: 'false',
    })
    const conn = await db.connect()
    const sql = `SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 1000003 - 5000 END::BIGINT AS a,
        (TIMESTAMP '1999-12-31 23:59:59' + to_microseconds(i * 3600000001))::TIMESTAMP AS b,
        CASE WHEN i % 5 = 0 THEN NULL ELSE i / 3 END::DOUBLE AS c,
        CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN 'N' ELSE 'zone number ' || i::VARCHAR || ' ✓' END AS d,
        (i % 2 = 0)::BOOLEAN AS e, (i - 1000)::INTEGER AS f, (DATE '1999-12-30' + i::INTEGER) AS g
      FROM range(5000) t(i)`
    const kinds: PgKind[] = ['int8', 'timestamp', 'float8', 'text', 'bool', 'int4', 'date']
    const expected = (
      await conn.runAndReadAll(
        `SELECT a, epoch_us(b) AS b, c, d, e, f, CAST(g - DATE '1970-01-01' AS INTEGER) AS g FROM (${sql})`,
      )
    ).getRows()
    const result = await conn.stream(sql)
    const decoded: unknown[][] = []
    for (;;) {
      const chunk = await result.fetchChunk()
      if (!chunk || chunk.rowCount === 0) break
      decoded.push(...decode(encodeRows(chunkColumns(chunk, kinds), chunk.rowCount), kinds))
    }
    conn.closeSync()
    expect(decoded).toHaveLength(5000)
    for (let i = 0; i < 5000; i += 1) {
      const [a, b, c, d, e, f, g] = expected[i] as [
        bigint | null,
        bigint,
        number | null,
        string | null,
        boolean,
        number,
        number,
      ]
      expect(decoded[i]).toEqual([a, b, c, d, e, f, g])
    }
  })
})
