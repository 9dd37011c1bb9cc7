/**
 * What `dezc dbt` works on: the project folder, the target warehouse and the dbt executable.
 * Precedence for every value: flag > env var (handled by the flag definitions) > config section
 * `dbt` > what `dezc dbt init` recorded in the project's marker > default.
 */
import path from 'node:path'
import {z} from 'zod'
import {courseDefaults, resolveCourse} from '../config/course.js'
import type {LoadedConfig} from '../config/load.js'
import {resolveStack, type Stack} from '../env/settings.js'
import {DEFAULT_DUCKDB_FILE, ingestConfigSchema} from '../ingest/settings.js'

export const DBT_TARGETS = ['postgres', 'duckdb', 'bigquery'] as const
export type DbtTarget = (typeof DBT_TARGETS)[number]

/** The project's and the profile's name: the course's (week 4, taxi_rides_ny). */
export const PROJECT_NAME = 'taxi_rides_ny'
/** dbt versions the generated project accepts (loaded_at_query for freshness needs 1.10). */
export const DBT_VERSION_RANGE = {min: '1.10.0', below: '2.0.0'} as const
/**
 * What `dezc dbt install` puts in the project's venv (the versions the tests run: scripts/ensure-dbt.sh
 * uses the same, a unit test checks it). duckdbEngine: the DuckDB of dezc's own Node API, so dbt and
 * `dezc ingest --to duckdb` read and write the same file format.
 */
export const DBT_PINS = {
  core: '1.10.15',
  postgres: '1.9.1',
  duckdb: '1.9.6',
  duckdbEngine: '1.5.6',
  /** The 1.10 line of dbt-bigquery (the dbt-core 1.10 generation). */
  bigquery: '1.10.3',
} as const

/** dbt_utils as the course pins it. */
export const DBT_UTILS_VERSION = '1.3.3'
/** The marker of `dezc dbt init`: hashes of the files it wrote, and the target it wrote them for. */
export const DBT_MARKER = '.dezc-dbt.json'

export const dbtConfigSchema = z.strictObject({
  /** The dbt project folder (default: the current folder). */
  dir: z.string().min(1).optional(),
  target: z.enum(DBT_TARGETS).optional(),
  /** The DuckDB database file of the duckdb target. */
  duckdbFile: z.string().min(1).optional(),
  /** The dbt executable (default: the project's .venv/bin/dbt, else dbt on PATH). */
  executable: z.string().min(1).optional(),
  /** Write packages.yml with dbt_utils (default true). */
  dbtUtils: z.boolean().optional(),
})
export type DbtConfig = z.infer<typeof dbtConfigSchema>

/** What init recorded in the marker (meta), read back by run/doctor. */
export interface ProjectMeta {
  target?: DbtTarget
  duckdbFile?: string
  stack?: string | null
  host?: string
}

export interface DbtFlagValues {
  dir?: string
  target?: string
  'duckdb-file'?: string
  dbt?: string
  host?: string
  course?: string
  stack?: string
  'docker-host'?: string
}

export interface DbtSettings {
  dir: string
  target: DbtTarget
  /** Absolute path of the DuckDB file (duckdb target). */
  duckdbFile?: string
  /** The dbt executable given by flag/env/config; otherwise the project's .venv, then dbt on PATH. */
  executable?: string
  /** The env stack whose Postgres the postgres target uses. */
  stack: Stack
  dbtUtils: boolean
  /** The bigquery target: the config its project, dataset and key are resolved from (as dezc bq does). */
  bigquery?: {config: LoadedConfig}
}

/** The file `dezc ingest --to duckdb` writes when none is named. */
export {DEFAULT_DUCKDB_FILE} from '../ingest/settings.js'

export function resolveDbtDir(flags: DbtFlagValues, section: DbtConfig | undefined, cwd = process.cwd()): string {
  return path.resolve(cwd, flags.dir ?? section?.dir ?? '.')
}

export function resolveDbtSettings(
  config: LoadedConfig,
  flags: DbtFlagValues & {'no-dbt-utils'?: boolean},
  meta: ProjectMeta = {},
  cwd = process.cwd(),
): DbtSettings {
  const section = config.section('dbt', dbtConfigSchema) ?? {}
  const dir = resolveDbtDir(flags, section, cwd)
  const course = resolveCourse(flags.course, config.raw('course'))
  // The edition's warehouse: the notes' Postgres (2023), or DuckDB as today's course runs dbt locally.
  const target =
    (flags.target as DbtTarget | undefined) ?? section.target ?? meta.target ?? courseDefaults(course).dbt.target
  // Last: the file dezc ingest --to duckdb was configured to write.
  const ingestFile = config.section('ingest', ingestConfigSchema)?.duckdbFile
  const duckdb = flags['duckdb-file'] ?? section.duckdbFile ?? meta.duckdbFile ?? ingestFile
  const duckdbFile = target === 'duckdb' ? path.resolve(cwd, duckdb ?? DEFAULT_DUCKDB_FILE) : undefined
  const executable = flags.dbt ?? section.executable
  const stack = resolveStack(config, {
    profile: flags.host ?? meta.host,
    course: flags.course,
    stack: flags.stack ?? meta.stack ?? undefined,
    dockerHost: flags['docker-host'],
  })
  return {
    dir,
    target,
    duckdbFile,
    executable,
    stack,
    dbtUtils: !flags['no-dbt-utils'] && section.dbtUtils !== false,
    ...(target === 'bigquery' ? {bigquery: {config}} : {}),
  }
}
