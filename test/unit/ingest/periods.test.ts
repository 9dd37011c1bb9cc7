import {describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {expandPeriods, periodFromFileName} from '../../../src/ingest/periods.js'
import {sourceUrl} from '../../../src/ingest/datasets.js'

const now = new Date(Date.UTC(2026, 10, 25))

function err(fn: () => unknown): DezcError {
  try {
    fn()
  } catch (error) {
    return error as DezcError
  }
  throw new Error('expected an error')
}

describe('expandPeriods', () => {
  it('expands months, ranges and years, sorted and de-duplicated', () => {
    expect(expandPeriods(['2021-03', '2021-01..2021-03'], {now})).toEqual(['2021-01', '2021-02', '2021-03'])
    expect(expandPeriods(['2020-11..2021-02'], {now})).toEqual(['2020-11', '2020-12', '2021-01', '2021-02'])
    expect(expandPeriods(['2019'], {now})).toHaveLength(12)
    expect(expandPeriods(['2019'], {now})[11]).toBe('2019-12')
  })

  it('stops a whole current year at the current month', () => {
    expect(expandPeriods(['2026'], {now}).at(-1)).toBe('2026-11')
  })

  it('rejects malformed periods with a usage error that shows the accepted forms', () => {
    for (const bad of ['2021-13', '21-01', '2021/01', '2021-01..', '2021-03..2021-01', 'abc', '2021-00']) {
      const e = err(() => expandPeriods([bad], {now}))
      expect(e.code, bad).toBe('INVALID_PERIOD')
      expect(e.exit).toBe(2)
      expect(e.message).toContain(bad)
    }
    expect(err(() => expandPeriods(['2021-13'], {now})).suggestions[0]).toMatch(/2021-01\.\.2021-06/)
  })

  it('rejects future months and ranges ending in the future', () => {
    expect(err(() => expandPeriods(['2027-01'], {now})).code).toBe('FUTURE_PERIOD')
    expect(err(() => expandPeriods(['2026-10..2027-02'], {now})).code).toBe('FUTURE_PERIOD')
    expect(err(() => expandPeriods(['2030'], {now})).code).toBe('FUTURE_PERIOD')
  })

  it('rejects months before the dataset has a mapped schema, but clips a year that straddles it', () => {
    const e = err(() => expandPeriods(['2010-05'], {now, first: '2011-01', dataset: 'yellow'}))
    expect(e.code).toBe('PERIOD_NOT_SUPPORTED')
    expect(e.suggestions.join(' ')).toContain('2011-01')
    expect(expandPeriods(['2019'], {now, first: '2019-02', dataset: 'fhvhv'})[0]).toBe('2019-02')
  })
})

describe('file names and URLs', () => {
  it('finds the month in a TLC file name', () => {
    expect(periodFromFileName('yellow_tripdata_2021-01.parquet')).toBe('2021-01')
    expect(periodFromFileName('data.parquet')).toBeUndefined()
  })

  it('builds TLC, zone and backup URLs from a base URL with or without a trailing slash', () => {
    expect(sourceUrl('yellow', '2021-01', 'https://d37ci6vzurychx.cloudfront.net/trip-data/')).toBe(
      'https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2021-01.parquet',
    )
    expect(sourceUrl('green', '2019-09', 'http://127.0.0.1:9/mirror/trip-data')).toBe(
      'http://127.0.0.1:9/mirror/trip-data/green_tripdata_2019-09.parquet',
    )
    expect(sourceUrl('zones', 'lookup', 'https://d37ci6vzurychx.cloudfront.net/trip-data/')).toBe(
      'https://d37ci6vzurychx.cloudfront.net/misc/taxi_zone_lookup.csv',
    )
    expect(
      sourceUrl('yellow', '2021-01', 'https://github.com/DataTalksClub/nyc-tlc-data/releases/download/', 'backup'),
    ).toBe('https://github.com/DataTalksClub/nyc-tlc-data/releases/download/yellow/yellow_tripdata_2021-01.csv.gz')
  })
})
