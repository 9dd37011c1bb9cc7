import {describe, expect, it} from 'vitest'
import {COURSE_DEFAULTS, COURSES, resolveCourse} from '../../../src/config/course.js'
import {postgresDataTarget} from '../../../src/env/spec.js'

describe('course editions', () => {
  it('flag > DEZC_COURSE > config > 2023', () => {
    expect(resolveCourse(undefined, undefined, {})).toBe('2023')
    expect(resolveCourse(undefined, 2026, {})).toBe('2026')
    expect(resolveCourse(undefined, 2026, {DEZC_COURSE: '2023'})).toBe('2023')
    expect(resolveCourse('2026', 2023, {DEZC_COURSE: '2023'})).toBe('2026')
  })
  it('an unknown edition is a usage error naming where it came from', () => {
    expect(() => resolveCourse(undefined, undefined, {DEZC_COURSE: '2024'})).toThrow(/DEZC_COURSE "2024"/)
  })
  it('every edition is coherent: the volume layout follows the Postgres major', () => {
    expect(COURSES).toEqual(['2023', '2026'])
    expect(postgresDataTarget(COURSE_DEFAULTS['2023'].postgres.image)).toBe('/var/lib/postgresql/data')
    expect(postgresDataTarget(COURSE_DEFAULTS['2026'].postgres.image)).toBe('/var/lib/postgresql')
    expect(COURSE_DEFAULTS['2026']).toMatchObject({
      postgres: {db: 'ny_taxi'},
      pgadmin: {port: 8085},
      ingest: {source: 'backup'},
      spark: {java: '17'},
      dbt: {target: 'duckdb'},
    })
    expect(Number(COURSE_DEFAULTS['2026'].spark.version.split('.')[0])).toBeGreaterThanOrEqual(4)
  })
})
