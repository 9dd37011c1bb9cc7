/**
 * Course editions: the one table of defaults that differ between the course notes dezc started
 * from (2023) and the course as it is taught today (2026). Every capability reads its edition
 * defaults here, under the profile and config values and the flags, which still win.
 *
 * Resolution of the edition itself: --course > DEZC_COURSE > `course:` in dezc.yaml > 2023.
 */
import {usageError} from '../core/errors.js'

export const COURSES = ['2023', '2026'] as const
export type Course = (typeof COURSES)[number]
export const DEFAULT_COURSE: Course = '2023'

export interface CourseDefaults {
  description: string
  postgres: {
    image: string
    /** Database the image creates (POSTGRES_DB). */
    db: string
  }
  pgadmin: {image: string; port: number}
  /**
   * Where the Postgres data volume is mounted follows the image's major (spec.ts postgresDataTarget):
   * 13 at /var/lib/postgresql/data, 18 at /var/lib/postgresql (PGDATA in 18/docker).
   */
  ingest: {source: 'tlc' | 'backup'}
  spark: {version: string; java: string}
  terraform: {googleProvider: string}
  dbt: {target: 'postgres' | 'duckdb'}
}

export const COURSE_DEFAULTS: Record<Course, CourseDefaults> = {
  '2023': {
    description: 'the 2023 course notes: Postgres 13, pgAdmin 4.8 on 8080, TLC parquet, Spark 3.3.2 on JDK 11',
    postgres: {image: 'postgres:13', db: 'nytaxi'},
    pgadmin: {image: 'dpage/pgadmin4:4.8', port: 8080},
    ingest: {source: 'tlc'},
    spark: {version: '3.3.2', java: '11'},
    terraform: {googleProvider: '5.6.0'},
    dbt: {target: 'postgres'},
  },
  '2026': {
    description:
      "today's course: Postgres 18, pgAdmin 9 on 8085, database ny_taxi, the course's csv.gz releases, Spark 4 on Java 17, dbt on DuckDB",
    // The course's compose file leaves pgAdmin untagged; 9 is the current major, pinned so a stack is reproducible.
    postgres: {image: 'postgres:18', db: 'ny_taxi'},
    pgadmin: {image: 'dpage/pgadmin4:9', port: 8085},
    ingest: {source: 'backup'},
    spark: {version: '4.0.1', java: '17'},
    terraform: {googleProvider: '5.6.0'},
    dbt: {target: 'duckdb'},
  },
}

export function isCourse(v: unknown): v is Course {
  return typeof v === 'string' && (COURSES as readonly string[]).includes(v)
}

/** The edition in effect: flag > DEZC_COURSE > config `course:` > 2023. */
export function resolveCourse(
  flag: string | undefined,
  configValue: unknown,
  env: NodeJS.ProcessEnv = process.env,
): Course {
  const fromEnv = env.DEZC_COURSE || undefined
  const v = flag ?? fromEnv ?? (configValue === undefined || configValue === null ? undefined : String(configValue))
  if (v === undefined) return DEFAULT_COURSE
  if (isCourse(v)) return v
  const origin = flag !== undefined ? '--course' : fromEnv !== undefined ? 'DEZC_COURSE' : 'course: in dezc.yaml'
  throw usageError(
    'INVALID_FLAG',
    `${origin} "${v}" is not a course edition.`,
    `Use one of: ${COURSES.join(', ')} (2023: the course notes; 2026: today's course).`,
  )
}

/** The defaults of the edition in effect. */
export function courseDefaults(course: Course): CourseDefaults {
  return COURSE_DEFAULTS[course]
}
