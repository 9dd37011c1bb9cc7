import {describe, expect, it} from 'vitest'
import {
  bucketNameProblem,
  datasetIdProblem,
  defaultBucketName,
  locationForRegion,
  normalizeLocation,
  normalizeStorageClass,
  projectIdProblem,
  regionProblem,
} from '../../../src/tf/names.js'

describe('bucket naming rules', () => {
  it.each([
    'abc',
    'my-proj-123-dezc-data-lake',
    'dtc_data_lake_proj',
    'a.b.c',
    'x'.repeat(63),
    `${'a'.repeat(63)}.${'b'.repeat(63)}`,
  ])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined()
  })
  it.each([
    ['ab', /at least 3/],
    ['x'.repeat(64), /at most 63/],
    ['My-Bucket', /lowercase/],
    ['my bucket', /only lowercase letters, digits.*found " "/],
    ['bucket!', /found "!"/],
    ['-bucket', /start and end with a letter or digit/],
    ['bucket_', /start and end/],
    ['192.168.1.1', /IP address/],
    ['googbucket', /cannot start with "goog"/],
    ['my-google-bucket', /google/],
    ['my-g00gle-bucket', /google/],
    ['a..b', /dot-separated part/],
    [`${'a'.repeat(64)}.b`, /dot-separated part/],
  ])('rejects %s', (name, problem) => {
    expect(bucketNameProblem(name)).toMatch(problem)
  })
})

describe('dataset ids', () => {
  it.each(['trips_data_all', 'ny_taxi', 'Dataset1', '_x', 'a'.repeat(1024)])('accepts %s', (id) =>
    expect(datasetIdProblem(id)).toBeUndefined(),
  )
  it('rejects "-" and says to use "_"', () =>
    expect(datasetIdProblem('trips-data')).toMatch(/found "-"; use "_" instead/))
  it('rejects dots, spaces, empty and over-long ids', () => {
    expect(datasetIdProblem('a.b')).toMatch(/found "\."/)
    expect(datasetIdProblem('a b')).toMatch(/found " "/)
    expect(datasetIdProblem('')).toMatch(/empty/)
    expect(datasetIdProblem('a'.repeat(1025))).toMatch(/at most 1024/)
  })
})

describe('project ids', () => {
  it('accepts console-style ids', () => expect(projectIdProblem('dezc-course-123456')).toBeUndefined())
  it('explains a pasted display name', () =>
    expect(projectIdProblem('My Project')).toMatch(/looks like the project name/))
  it('checks length, first letter and trailing dash', () => {
    expect(projectIdProblem('abc')).toMatch(/6 to 30/)
    expect(projectIdProblem('1abcdef')).toMatch(/start with a lowercase letter/)
    expect(projectIdProblem('abcdef-')).toMatch(/cannot end with "-"/)
  })
})

describe('locations, regions, storage classes', () => {
  it('maps the region to a location both services have', () => {
    expect(locationForRegion('us-central1')).toBe('US')
    expect(locationForRegion('europe-west6')).toBe('EU')
    expect(locationForRegion('asia-east1')).toBe('asia-east1')
  })
  it('normalizes US/EU/regions and refuses locations BigQuery lacks', () => {
    expect(normalizeLocation('us')).toEqual({location: 'US'})
    expect(normalizeLocation('Europe-West6')).toEqual({location: 'europe-west6'})
    expect(normalizeLocation('ASIA').problem).toMatch(/BigQuery has no ASIA multi-region/)
    expect(normalizeLocation('NAM4').problem).toMatch(/dual-region/)
    expect(normalizeLocation('mars').problem).toMatch(/US, EU or a region/)
  })
  it('checks region shape and storage classes', () => {
    expect(regionProblem('us-central1')).toBeUndefined()
    expect(regionProblem('uscentral')).toMatch(/us-central1/)
    expect(normalizeStorageClass('nearline')).toBe('NEARLINE')
    expect(normalizeStorageClass('HOT')).toBeUndefined()
  })
})

describe('default bucket name', () => {
  it('derives a valid global name from the project id', () => {
    expect(defaultBucketName('my-proj-123')).toBe('my-proj-123-dezc-data-lake')
  })
  it('avoids the forbidden goog/google parts of a project id', () => {
    const name = defaultBucketName('google-fan-123')
    expect(bucketNameProblem(name)).toBeUndefined()
    expect(name).not.toMatch(/goog/)
  })
})
