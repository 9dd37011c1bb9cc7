/** The pure lake decisions: object names, skip/upload/replace/conflict, the dry-run commands. */
import {describe, expect, it} from 'vitest'
import {decide, monthsByDataset, objectName, periodOfObject, planDryRun, sameContent} from '../../../src/lake/plan.js'

const local = {md5: 'bWQ1', crc32c: 'Y3Jj', bytes: 10}

describe('lake plan', () => {
  it('lays out one object per month and reads the month back', () => {
    expect(objectName('yellow', '2021-01')).toBe('yellow/yellow_tripdata_2021-01.parquet')
    expect(periodOfObject('yellow/yellow_tripdata_2021-01.parquet')).toBe('2021-01')
    expect(periodOfObject('yellow/yellow_tripdata_2021-01.parquet', 'green')).toBeUndefined()
    expect(periodOfObject('yellow/green_tripdata_2021-01.parquet')).toBeUndefined()
    expect(
      monthsByDataset([
        {name: 'a', bytes: 1, dataset: 'yellow', period: '2021-02'},
        {name: 'b', bytes: 1, dataset: 'yellow', period: '2021-01'},
        {name: 'c', bytes: 1},
      ]),
    ).toEqual({yellow: ['2021-01', '2021-02']})
  })

  it('same content is skipped, other content is a conflict unless --force', () => {
    const same = {name: 'o', bytes: 10, md5: 'bWQ1', crc32c: 'Y3Jj'}
    expect(decide(local, undefined, false)).toBe('upload')
    expect(decide(local, same, false)).toBe('skip')
    expect(decide(local, same, true)).toBe('replace')
    expect(decide(local, {...same, crc32c: 'other'}, false)).toBe('conflict')
    expect(decide(local, {...same, bytes: 11}, true)).toBe('replace')
    // A composite object (no md5) compares by crc32c; an object with neither never counts as the same.
    expect(sameContent(local, {bytes: 10, crc32c: 'Y3Jj'})).toBe(true)
    expect(sameContent(local, {bytes: 10})).toBe(false)
  })

  it('the same source written the same way counts as the same month even when the bytes differ', () => {
    const remote = {
      name: 'o',
      bytes: 12,
      md5: 'x',
      crc32c: 'y',
      metadata: {'dezc-source-sha256': 'abc', 'dezc-layout': 'canonical'},
    }
    expect(decide(local, remote, false, {sha256: 'abc', layout: 'canonical'})).toBe('skip')
    expect(decide(local, remote, false, {sha256: 'abc', layout: 'as-is'})).toBe('conflict')
    expect(decide(local, remote, false, {sha256: 'def', layout: 'canonical'})).toBe('conflict')
  })

  it('--dry-run: upload, check or replace per month, and curl / duckdb / gcloud storage cp by hand', () => {
    const remote = new Map([
      [
        'yellow/yellow_tripdata_2021-01.parquet',
        {name: 'yellow/yellow_tripdata_2021-01.parquet', bytes: 5, crc32c: 'Y3Jj'},
      ],
    ])
    const items = [
      {period: '2021-01', url: 'http://m/yellow_tripdata_2021-01.parquet'},
      {period: '2021-02', url: 'http://m/yellow_tripdata_2021-02.parquet'},
    ]
    const p = planDryRun({
      bucket: 'b',
      dataset: 'yellow',
      layout: 'canonical',
      force: false,
      items,
      remote,
      columns: ['CAST("VendorID" AS BIGINT) AS "VendorID"'],
    })
    expect(p.steps.map((s) => s.action)).toEqual(['check', 'upload'])
    expect(p.bucketRead).toBe(true)
    expect(p.commands).toContain(
      'gcloud storage cp --no-clobber yellow_tripdata_2021-01.canonical.parquet gs://b/yellow/yellow_tripdata_2021-01.parquet',
    )
    expect(p.commands).toContain(
      'gcloud storage cp yellow_tripdata_2021-02.canonical.parquet gs://b/yellow/yellow_tripdata_2021-02.parquet',
    )
    const asIs = planDryRun({bucket: 'b', dataset: 'yellow', layout: 'as-is', force: true, items, columns: []})
    expect(asIs.bucketRead).toBe(false)
    expect(asIs.steps.map((s) => s.action)).toEqual(['upload', 'upload'])
    expect(asIs.commands.some((c) => c.startsWith('duckdb'))).toBe(false)
    expect(asIs.commands).toContain(
      'gcloud storage cp yellow_tripdata_2021-02.parquet gs://b/yellow/yellow_tripdata_2021-02.parquet',
    )
  })
})
