/**
 * The footer splice of src/ingest/parquet-footer.ts against real DuckDB: the row groups it finds are
 * the ones DuckDB's parquet_metadata describes, a file of one row group (its bytes at their offsets
 * plus the spliced footer) reads back as exactly that row group's rows, the schema-only footer
 * describes the same columns with no rows, and broken or encrypted footers are refused.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {DuckDBConnection} from '@duckdb/node-api'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {
  ThriftError,
  UnsupportedFooterError,
  footerFor,
  footerLength,
  footerTrailer,
  parseFooter,
  reorderRowGroups,
} from '../../../src/ingest/parquet-footer.js'
import {rowGroupLayout, writeTripParquet} from '../../helpers/tlc-fixtures.js'

let dir: string
let file: string
let buf: Buffer
let conn: DuckDBConnection

const footerOf = (b: Buffer) => {
  const len = footerLength(b.subarray(b.length - 8))
  return parseFooter(b.subarray(b.length - 8 - len, b.length - 8))
}

async function stats(f: string) {
  const r = await conn.runAndReadAll(
    `SELECT count(*)::INT AS n, sum(epoch_us(pickup_datetime))::VARCHAR AS t, sum(trip_miles * 100)::BIGINT::VARCHAR AS m FROM read_parquet('${f}')`,
  )
  return r.getRowObjectsJS()[0]
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-footer-'))
  file = path.join(dir, 'fhvhv.parquet')
  await writeTripParquet(file, 'fhvhv', '2021-01', 50_000, {rowGroupSize: 10_000})
  buf = fs.readFileSync(file)
  const {DuckDBInstance} = await import('@duckdb/node-api')
  conn = await (await DuckDBInstance.create(':memory:', {threads: '1'})).connect()
})

afterAll(() => {
  conn?.closeSync()
  fs.rmSync(dir, {recursive: true, force: true})
})

describe('parquet footer', () => {
  it('finds every row group where DuckDB says it is', async () => {
    const f = footerOf(buf)
    expect(f.rows).toBe(50_000)
    const layout = await rowGroupLayout(file)
    expect(f.rowGroups.map((g) => ({id: g.index, rows: g.rows, start: g.start, end: g.end}))).toEqual(layout)
  })

  it('a file of one row group reads back as that row group, the rest of the file left as a hole', async () => {
    const f = footerOf(buf)
    let total = 0
    for (const g of f.rowGroups) {
      const one = path.join(dir, `rg-${g.index}.parquet`)
      const meta = footerFor(f, [g])
      const out = Buffer.alloc(g.end + meta.length + 8)
      out.write('PAR1', 0, 'latin1')
      buf.copy(out, g.start, g.start, g.end)
      Buffer.concat([meta, footerTrailer(meta.length)]).copy(out, g.end)
      fs.writeFileSync(one, out)
      const got = await stats(one)
      expect(got.n).toBe(g.rows)
      const ids = await conn.runAndReadAll(
        `SELECT min(epoch_us(pickup_datetime))::VARCHAR AS lo FROM read_parquet('${one}')`,
      )
      // Row i's pickup is 2021-01-01 + i × 0.2 s: the first row of group k is row start(k).
      expect(BigInt(ids.getRowObjectsJS()[0].lo as string)).toBe(
        BigInt(Date.UTC(2021, 0, 1)) * 1000n + BigInt(total) * 200_000n,
      )
      total += g.rows
    }
    expect(total).toBe(50_000)
  })

  it('the schema-only footer describes the same columns with no rows', async () => {
    const f = footerOf(buf)
    const meta = footerFor(f, [])
    const schema = path.join(dir, 'schema.parquet')
    fs.writeFileSync(schema, Buffer.concat([Buffer.from('PAR1'), meta, footerTrailer(meta.length)]))
    const describe = async (p: string) =>
      (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${p}')`)).getRowObjectsJS()
    expect(await describe(schema)).toEqual(await describe(file))
    expect((await stats(schema)).n).toBe(0)
  })

  it('row groups listed in another order keep their bytes and every row', async () => {
    const f = footerOf(buf)
    const meta = reorderRowGroups(f, [4, 2, 0, 1, 3])
    const re = path.join(dir, 'reordered.parquet')
    fs.writeFileSync(
      re,
      Buffer.concat([buf.subarray(0, buf.length - 8 - f.metadata.length), meta, footerTrailer(meta.length)]),
    )
    expect(footerOf(fs.readFileSync(re)).rowGroups.map((g) => g.start)).toEqual(
      [4, 2, 0, 1, 3].map((i) => f.rowGroups[i].start),
    )
    expect(await stats(re)).toEqual(await stats(file))
  })

  it('refuses an encrypted footer, a file without PAR1 and a truncated footer', () => {
    const tail = Buffer.from(buf.subarray(buf.length - 8))
    tail.write('PARE', 4, 'latin1')
    expect(() => footerLength(tail)).toThrow(UnsupportedFooterError)
    expect(() => footerLength(Buffer.from('12345678'))).toThrow(ThriftError)
    const f = footerOf(buf)
    expect(() => parseFooter(f.metadata.subarray(0, Math.floor(f.metadata.length / 2)))).toThrow(ThriftError)
  })
})
