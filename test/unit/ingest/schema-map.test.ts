import {describe, expect, it} from 'vitest'
import {DATASETS} from '../../../src/ingest/datasets.js'
import {planColumns, type FileColumn} from '../../../src/ingest/schema-map.js'

const yellow = DATASETS.yellow.columns
const base = {columns: yellow, table: 'yellow_taxi_data', file: 'yellow 2023-03'}

function yellowFile(overrides: Record<string, string> = {}, drop: string[] = []): FileColumn[] {
  return yellow.filter((c) => !drop.includes(c.name)).map((c) => ({name: c.name, type: overrides[c.name] ?? 'DOUBLE'}))
}

describe('planColumns', () => {
  it('matches column names case-insensitively and casts each to the canonical type', () => {
    const file = yellowFile({VendorID: 'INTEGER'}, ['airport_fee', 'cbd_congestion_fee'])
    file.push({name: 'Airport_fee', type: 'DOUBLE'})
    const plan = planColumns({...base, fileColumns: file})
    const fee = plan.columns.find((c) => c.name === 'airport_fee')!
    expect(fee.source).toBe('Airport_fee')
    expect(fee.expr).toBe('CAST("Airport_fee" AS DOUBLE)')
    expect(plan.columns.find((c) => c.name === 'VendorID')!.expr).toBe('CAST("VendorID" AS BIGINT)')
    expect(plan.missing).toEqual(['cbd_congestion_fee'])
    expect(plan.columns.find((c) => c.name === 'cbd_congestion_fee')!.expr).toBe('CAST(NULL AS DOUBLE)')
    expect(plan.create?.map((c) => c.name)).toEqual(yellow.map((c) => c.name))
  })

  it('adds an unknown new column as nullable with a warning, or refuses it with strict', () => {
    const file = [...yellowFile(), {name: 'surprise_fee', type: 'DOUBLE'}]
    const plan = planColumns({...base, fileColumns: file})
    expect(plan.create?.at(-1)).toEqual({name: 'surprise_fee', kind: 'float8'})
    expect(plan.warnings[0]).toMatch(/surprise_fee.*--strict/)
    expect(() => planColumns({...base, fileColumns: file, strict: true})).toThrow(/surprise_fee.*--strict/)
  })

  it('writes into an existing table with its own column names and types, adding missing columns', () => {
    const table = yellow
      .filter((c) => c.name !== 'cbd_congestion_fee')
      .map((c) => ({name: c.name.toLowerCase(), pgType: c.kind === 'int8' ? 'int4' : c.kind}))
    const plan = planColumns({...base, fileColumns: yellowFile(), tableColumns: table})
    expect(plan.create).toBeUndefined()
    expect(plan.add).toEqual([{name: 'cbd_congestion_fee', kind: 'float8'}])
    const vendor = plan.columns.find((c) => c.source === 'VendorID')!
    expect(vendor.name).toBe('vendorid')
    expect(vendor.kind).toBe('int4')
    expect(vendor.expr).toBe('CAST("VendorID" AS INTEGER)')
  })

  it('refuses table column types the encoder cannot write, naming the column and a fix', () => {
    const table = [{name: 'VendorID', pgType: 'numeric'}]
    expect(() => planColumns({...base, fileColumns: yellowFile(), tableColumns: table})).toThrow(/"VendorID".*numeric/)
  })

  it('refuses nested or binary source columns as uncastable', () => {
    const file = yellowFile({trip_distance: 'STRUCT(a INTEGER)'})
    expect(() => planColumns({...base, fileColumns: file})).toThrow(
      /trip_distance.*STRUCT\(a INTEGER\).*double precision/,
    )
    expect(() => planColumns({...base, fileColumns: yellowFile({fare_amount: 'BLOB'})})).toThrow(
      /UNCASTABLE|cannot be cast/,
    )
  })
})
