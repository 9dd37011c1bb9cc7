/**
 * The one resolution of what `dezc lake *` acts on, flag > env > config > default: the bucket
 * (--bucket, DEZC_LAKE_BUCKET, config lake.bucket, then what `dezc tf` set up: terraform.tfvars in
 * the tf dir, DEZC_TF_BUCKET, config tf.bucket), the Cloud Storage endpoint, where the TLC files
 * come from (the same mirror settings as `dezc ingest`), parallelism and the upload chunk size.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {z} from 'zod'
import type {LoadedConfig} from '../config/load.js'
import {usageError} from '../core/errors.js'
import {validApiRoot} from '../gcp/settings.js'
import {TLC_BASE_URL} from '../ingest/datasets.js'
import {checkBaseUrl, ingestConfigSchema} from '../ingest/settings.js'
import {TFVARS_FILE, readTfvarsString} from '../tf/files.js'
import {bucketNameProblem, invalidValue} from '../tf/names.js'
import {resolveDir, tfConfigSchema} from '../tf/settings.js'

/** The `lake:` section of dezc.yaml. */
export const lakeConfigSchema = z.strictObject({
  bucket: z.string().min(1).optional(),
  /** Cloud Storage JSON API base URL (e.g. a fake-gcs-server), instead of https://storage.googleapis.com. */
  apiRoot: z.string().url().optional(),
  jobs: z.number().int().min(1).max(16).optional(),
  /** Resumable-upload chunk in MiB (a multiple of 0.25). */
  chunkMb: z.number().positive().optional(),
})
export type LakeConfig = z.infer<typeof lakeConfigSchema>

export const DEFAULT_JOBS = 4
/**
 * 32 MiB: what a cut costs at most to resend (a file up to this size goes in one request); the
 * library holds one chunk per upload in memory (jobs x chunk). Google: larger chunks upload faster.
 */
export const DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024
const CHUNK_UNIT = 256 * 1024

export interface LakeFlagValues {
  bucket?: string
  apiRoot?: string
  tfDir?: string
  baseUrl?: string
  jobs?: number
}

export interface LakeSettings {
  bucket: string
  /** Where the bucket name came from ("--bucket", "terraform/terraform.tfvars", ...). */
  bucketSource: string
  /** Storage endpoint override (no trailing slash); undefined = storage.googleapis.com. */
  apiRoot?: string
  /** The TLC trip-data folder (or a mirror). */
  baseUrl: string
  jobs: number
  chunkBytes: number
}

export interface LakeSettingsInput {
  flags: LakeFlagValues
  config: LoadedConfig
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** A value and where it came from; `first` picks the first one set (flag > env > config > ...). */
export type Candidate = [string | undefined, string]
export const first = (cs: Candidate[]) => cs.find(([v]) => v !== undefined && v.trim() !== '')

export async function resolveLakeSettings(input: LakeSettingsInput): Promise<LakeSettings> {
  const env = input.env ?? process.env
  const cwd = input.cwd ?? process.cwd()
  const f = input.flags
  const lake = input.config.section('lake', lakeConfigSchema) ?? {}
  const tf = input.config.section('tf', tfConfigSchema) ?? {}
  const gcp = (input.config.section('gcp', z.looseObject({apiRoot: z.string().optional()})) ?? {}) as {apiRoot?: string}
  const ingest = input.config.section('ingest', ingestConfigSchema) ?? {}

  const tfDir = resolveDir({config: tf, env, cwd}, f.tfDir)
  const tfvarsPath = path.join(tfDir, TFVARS_FILE)
  const tfvars = await fs.readFile(tfvarsPath, 'utf8').catch(() => '')
  const bucket = first([
    [f.bucket, '--bucket'],
    [env.DEZC_LAKE_BUCKET, 'DEZC_LAKE_BUCKET'],
    [lake.bucket, 'config lake.bucket'],
    [readTfvarsString(tfvars, 'gcs_bucket_name'), path.relative(cwd, tfvarsPath) || tfvarsPath],
    [env.DEZC_TF_BUCKET, 'DEZC_TF_BUCKET'],
    [tf.bucket, 'config tf.bucket'],
  ])
  if (!bucket) {
    throw usageError(
      'LAKE_BUCKET_REQUIRED',
      'Which bucket? No --bucket given, and no bucket is set up by dezc tf (no gcs_bucket_name in ' + tfvarsPath + ').',
      [
        'Pass --bucket NAME (or set DEZC_LAKE_BUCKET, or lake.bucket in dezc.yaml).',
        'Or create the course bucket first: dezc tf init && dezc tf apply (then dezc lake finds it; --tf-dir if it is not ./terraform).',
      ],
    )
  }
  const name = bucket[0]!.trim()
  const problem = bucketNameProblem(name)
  if (problem) throw invalidValue('bucket name', name, problem, '--bucket')

  const apiRoot = serviceApiRoot({
    flag: f.apiRoot,
    envName: 'DEZC_GCS_API_ROOT',
    section: lake.apiRoot,
    gcp: gcp.apiRoot,
    env,
  })
  const baseUrl = checkBaseUrl(f.baseUrl ?? ingest.baseUrl ?? TLC_BASE_URL)
  const jobs = f.jobs ?? lake.jobs ?? DEFAULT_JOBS
  const chunkBytes = chunkSize(
    env.DEZC_LAKE_CHUNK_BYTES
      ? Number(env.DEZC_LAKE_CHUNK_BYTES)
      : lake.chunkMb !== undefined
        ? Math.round(lake.chunkMb * 1024 * 1024)
        : DEFAULT_CHUNK_BYTES,
  )
  return {bucket: name, bucketSource: bucket[1], ...(apiRoot ? {apiRoot} : {}), baseUrl, jobs, chunkBytes}
}

/** A Google API endpoint: --api-root > DEZC_<SERVICE>_API_ROOT > DEZC_GOOGLE_API_ROOT > the topic's config > gcp.apiRoot. */
export function serviceApiRoot(o: {
  flag?: string
  envName: string
  section?: string
  gcp?: string
  env: NodeJS.ProcessEnv
}): string | undefined {
  return validApiRoot(
    first([
      [o.flag, '--api-root'],
      [o.env[o.envName], o.envName],
      [o.env.DEZC_GOOGLE_API_ROOT, 'DEZC_GOOGLE_API_ROOT'],
      [o.section, 'config'],
      [o.gcp, 'config gcp.apiRoot'],
    ])?.[0],
  )
}

function chunkSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < CHUNK_UNIT || bytes % CHUNK_UNIT !== 0) {
    throw usageError(
      'INVALID_FLAG',
      `The upload chunk size ${bytes} bytes is not a positive multiple of 256 KiB (Cloud Storage's rule for resumable chunks).`,
      'Set lake.chunkMb to a multiple of 0.25 (default 32), or unset DEZC_LAKE_CHUNK_BYTES.',
    )
  }
  return bytes
}
