/** The pure bq decisions: locations, cost, the month replacement script, ledger decisions. */
import {describe, expect, it} from 'vitest'
import {costUsd, decideMonth, locationsCompatible, nativeTableSql, replaceMonthSql, TIB} from '../../../src/bq/plan.js'
import {DATASETS} from '../../../src/ingest/datasets.js'

describe('bq plan', () => {
  it('a bucket is readable from its own location or a multi-region that holds it', () => {
    expect(locationsCompatible('US-CENTRAL1', 'US')).toBe(true)
    expect(locationsCompatible('us-central1', 'us-central1')).toBe(true)
    expect(locationsCompatible('EUROPE-WEST1', 'EU')).toBe(true)
    expect(locationsCompatible('NAM4', 'US')).toBe(true)
    expect(locationsCompatible('US-CENTRAL1', 'EU')).toBe(false)
    expect(locationsCompatible('EUROPE-WEST2', 'EU')).toBe(false) // London is not in the EU multi-region
    expect(locationsCompatible('NORTHAMERICA-NORTHEAST1', 'US')).toBe(false)
    expect(locationsCompatible('US', 'us-central1')).toBe(false) // a regional dataset reads only its region
  })

  it('prices bytes on demand per TiB', () => {
    expect(costUsd(TIB, 6.25)).toBe(6.25)
    expect(costUsd(0, 6.25)).toBe(0)
    expect(costUsd(TIB / 10, 5)).toBe(0.5)
  })

  it('re-runs skip, --force replaces', () => {
    expect(decideMonth(undefined, false)).toBe('load')
    expect(decideMonth({month: '2021-01', rows: 1}, false)).toBe('skip')
    expect(decideMonth({month: '2021-01', rows: 1}, true)).toBe('replace')
  })

  it('the native table is partitioned by DAY on the pickup time and clustered like the course', () => {
    const sql = nativeTableSql('`p.d.yellow_tripdata`', DATASETS.yellow)
    expect(sql).toMatch(/PARTITION BY DATE\(tpep_pickup_datetime\)\nCLUSTER BY VendorID$/)
    expect(sql).toContain('dezc_month STRING NOT NULL')
    expect(sql).toContain('passenger_count INT64')
  })

  it('a month is replaced in one transaction, by dezc_month (not by pickup date), with its ledger row', () => {
    const sql = replaceMonthSql({
      target: '`p.d.t`',
      staging: '`p.d.s`',
      ledger: '`p.d.l`',
      table: 't',
      spec: DATASETS.green,
      load: {period: '2021-02', uri: "gs://b/o'x", generation: '7', rows: 12, jobId: 'j1'},
    })
    const lines = sql.split('\n')
    expect(lines[0]).toBe('BEGIN TRANSACTION;')
    expect(lines.at(-1)).toBe('COMMIT TRANSACTION;')
    expect(sql).toContain("DELETE FROM `p.d.t` WHERE dezc_month = '2021-02';")
    expect(sql).toContain("DELETE FROM `p.d.l` WHERE table_name = 't' AND month = '2021-02';")
    expect(sql).toContain("'gs://b/o\\'x', '7', 12, 'j1'")
    expect(sql).not.toMatch(/pickup_datetime\s*(>=|<|BETWEEN)/i)
  })
})
