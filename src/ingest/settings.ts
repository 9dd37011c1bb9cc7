/**
 * Where ingest reads from and writes to. Precedence for every value: flag > env var (handled by
 * the flag definitions) > config section `ingest` > default. The default database is the env
 * stack's Postgres, reached the way `dezc env` publishes it.
 */
import {z} from 'zod'
import {usageError} from '../core/errors.js'
import type {LoadedConfig} from '../config/load.js'
import type {LocateStackDatabase} from '../env/database.js'
import {redactUrl, resolveStack} from '../env/settings.js'
import {courseDefaults, resolveCourse} from '../config/course.js'
import {BACKUP_BASE_URL, TLC_BASE_URL, type SourceKind} from './datasets.js'

/** Default base of the --in-network image: the official Node image (node on PATH, glibc for DuckDB). */
export const DEFAULT_IMAGE_BASE = 'node:20-bookworm-slim'

export const ingestConfigSchema = z.strictObject({
  /** Mirror of the TLC trip-data folder (the zone CSV is read from ../misc/ beside it). */
  baseUrl: z.string().url().optional(),
  /** Mirror of the course's csv.gz backup releases. */
  backupBaseUrl: z.string().url().optional(),
  source: z.enum(['tlc', 'backup']).optional(),
  /** Target database instead of the env stack's Postgres. */
  dbUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  /** Table name per dataset, e.g. {yellow: yellowtaxidata}. */
  tables: z.partialRecord(z.enum(['yellow', 'green', 'fhv', 'fhvhv', 'zones']), z.string()).optional(),
  jobs: z.number().int().min(1).max(8).optional(),
  /** Base image for the --in-network image (must provide node >= 20.19 and glibc). */
  imageBase: z.string().min(1).optional(),
  /** The default target: the env stack's Postgres, or a DuckDB file. */
  to: z.enum(['postgres', 'duckdb', 'bigquery']).optional(),
  /** The DuckDB database file of --to duckdb (default taxi.duckdb in the current folder). */
  duckdbFile: z.string().min(1).optional(),
})
export type IngestConfig = z.infer<typeof ingestConfigSchema>

/** The DuckDB file of `--to duckdb` when none is named (the one `dezc dbt init --target duckdb` reads too). */
export const DEFAULT_DUCKDB_FILE = 'taxi.duckdb'

export interface TargetInput {
  /** postgres (default) or duckdb. */
  to?: string
  duckdbFile?: string
  /** Resolves a relative --duckdb-file (default: the current folder). */
  cwd?: string
  dbUrl?: string
  host?: string
  course?: string
  stack?: string
  dockerHost?: string
  baseUrl?: string
  source?: SourceKind
  table?: string
  dataset?: string
  jobs?: number
  imageBase?: string
  env?: NodeJS.ProcessEnv
  /** Where the named stack's Postgres runs; default: ask its engine (an error when it is not running, never a guess). */
  locate?: LocateStackDatabase
}

export interface IngestSettings {
  to: 'postgres' | 'duckdb' | 'bigquery'
  /** The Postgres target (to = postgres). */
  dbUrl?: string
  /** The absolute path of the DuckDB file (to = duckdb). */
  duckdbFile?: string
  /** --db-url, its env var or the config gave the URL (not derived from the env stack). */
  explicitDbUrl: boolean
  /** Where the data goes, for messages: the URL without its password, or the DuckDB file. */
  redactedDbUrl: string
  imageBase: string
  baseUrl: string
  source: SourceKind
  table?: string
  jobs: number
}

/** A source base URL must be http(s); anything else would fail later as an unexplained "Invalid URL". */
export function checkBaseUrl(url: string, flag = '--base-url'): string {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw usageError('INVALID_FLAG', `${flag} "${url}" is not an http(s) URL.`, `For example ${flag} ${TLC_BASE_URL}`)
  }
  return url
}

export async function ingestTarget(config: LoadedConfig, input: TargetInput): Promise<IngestSettings> {
  const section = config.section('ingest', ingestConfigSchema) ?? {}
  // The edition's data source: the TLC parquet files (2023 notes) or the course's csv.gz releases (today).
  const course = resolveCourse(input.course, config.raw('course'), input.env)
  const source: SourceKind = input.source ?? section.source ?? courseDefaults(course).ingest.source
  const baseUrl = checkBaseUrl(
    input.baseUrl ??
      (source === 'backup' ? (section.backupBaseUrl ?? BACKUP_BASE_URL) : (section.baseUrl ?? TLC_BASE_URL)),
  )
  const to = input.to ?? section.to ?? 'postgres'
  if (to !== 'postgres' && to !== 'duckdb' && to !== 'bigquery')
    throw usageError(
      'INVALID_FLAG',
      `--to ${to} is not a target dezc ingest knows.`,
      'Use --to postgres, --to duckdb or --to bigquery.',
    )
  let dbUrl = to === 'postgres' ? (input.dbUrl ?? section.dbUrl) : undefined
  const explicitDbUrl = dbUrl !== undefined
  const {resolve} = await import('node:path')
  const duckdbFile =
    to === 'duckdb'
      ? resolve(input.cwd ?? process.cwd(), input.duckdbFile ?? section.duckdbFile ?? DEFAULT_DUCKDB_FILE)
      : undefined
  if (to === 'postgres' && !dbUrl) {
    const stack = resolveStack(config, {
      profile: input.host,
      course: input.course,
      stack: input.stack,
      dockerHost: input.dockerHost,
    })
    const {stackDatabase} = await import('../env/database.js')
    dbUrl = (await stackDatabase(stack, input.locate)).url
  }
  const table =
    input.table ??
    (input.dataset ? section.tables?.[input.dataset as keyof NonNullable<IngestConfig['tables']>] : undefined)
  const imageBase = input.imageBase ?? section.imageBase ?? DEFAULT_IMAGE_BASE
  return {
    to,
    dbUrl,
    duckdbFile,
    explicitDbUrl,
    redactedDbUrl: dbUrl ? redactUrl(dbUrl) : (duckdbFile ?? 'bigquery'),
    imageBase,
    baseUrl,
    source,
    table,
    jobs: input.jobs ?? section.jobs ?? 2,
  }
}
