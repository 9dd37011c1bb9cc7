/**
 * The one resolution of what `dezc bq *` acts on, flag > env > config > what `dezc tf` set up >
 * default: the project, the BigQuery dataset, the BigQuery endpoint, the on-demand price; and,
 * for the commands that read the bucket, the lake settings (bucket, Cloud Storage endpoint) exactly
 * as `dezc lake` resolves them.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {z} from 'zod'
import type {LoadedConfig} from '../config/load.js'
import {usageError} from '../core/errors.js'
import type {Prompter} from '../core/ui.js'
import {resolveProject} from '../gcp/settings.js'
import {first, resolveLakeSettings, serviceApiRoot, type LakeSettings} from '../lake/settings.js'
import {TFVARS_FILE, readTfvarsString} from '../tf/files.js'
import {datasetIdProblem, invalidValue} from '../tf/names.js'
import {DEFAULTS, resolveDir, tfConfigSchema} from '../tf/settings.js'
import {DEFAULT_USD_PER_TIB} from './plan.js'

/** The `bq:` section of dezc.yaml. */
export const bqConfigSchema = z.strictObject({
  project: z.string().min(1).optional(),
  /** The BigQuery dataset (default: the one dezc tf set up, else trips_data_all). */
  dataset: z.string().min(1).optional(),
  /** BigQuery API base URL instead of https://bigquery.googleapis.com (tests, private endpoints). */
  apiRoot: z.string().url().optional(),
  /** On-demand price per TiB scanned, for --dry-run estimates. */
  usdPerTib: z.number().nonnegative().optional(),
})
export type BqConfig = z.infer<typeof bqConfigSchema>

export interface BqFlagValues {
  project?: string
  bqDataset?: string
  apiRoot?: string
  tfDir?: string
  bucket?: string
  usdPerTib?: number
}

export interface BqSettings {
  project: string
  projectSource: string
  /** The BigQuery dataset id. */
  bqDataset: string
  bqDatasetSource: string
  /** BigQuery endpoint override (no trailing slash); undefined = bigquery.googleapis.com. */
  apiRoot?: string
  usdPerTib: number
  /** Bucket and Cloud Storage endpoint (only for the commands that read the bucket). */
  lake?: LakeSettings
}

export interface BqSettingsInput {
  flags: BqFlagValues
  config: LoadedConfig
  prompter: Prompter
  /** Resolve the bucket too (external, load). */
  needBucket: boolean
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export async function resolveBqSettings(input: BqSettingsInput): Promise<BqSettings> {
  const env = input.env ?? process.env
  const cwd = input.cwd ?? process.cwd()
  const f = input.flags
  const bq = input.config.section('bq', bqConfigSchema) ?? {}
  const tf = input.config.section('tf', tfConfigSchema) ?? {}
  const gcp =
    input.config.section('gcp', z.looseObject({project: z.string().optional(), apiRoot: z.string().optional()})) ?? {}
  const tfvarsPath = path.join(resolveDir({config: tf, env, cwd}, f.tfDir), TFVARS_FILE)
  const tfvars = await fs.readFile(tfvarsPath, 'utf8').catch(() => '')
  const tfvarsLabel = path.relative(cwd, tfvarsPath) || tfvarsPath

  const named = first([
    [f.project, '--project'],
    [env.GOOGLE_CLOUD_PROJECT, 'GOOGLE_CLOUD_PROJECT'],
    [env.CLOUDSDK_CORE_PROJECT, 'CLOUDSDK_CORE_PROJECT'],
    [bq.project, 'config bq.project'],
    [gcp.project, 'config gcp.project'],
    [tf.project, 'config tf.project'],
    [readTfvarsString(tfvars, 'project'), tfvarsLabel],
  ])
  const {project, source: projectSource} = await resolveProject({
    flag: named?.[0],
    env: {...env, GOOGLE_CLOUD_PROJECT: undefined, CLOUDSDK_CORE_PROJECT: undefined},
    prompter: input.prompter,
  })

  const ds = first([
    [f.bqDataset, '--bq-dataset'],
    [env.DEZC_BQ_DATASET, 'DEZC_BQ_DATASET'],
    [bq.dataset, 'config bq.dataset'],
    [readTfvarsString(tfvars, 'bq_dataset_name'), tfvarsLabel],
    [env.DEZC_TF_DATASET, 'DEZC_TF_DATASET'],
    [tf.dataset, 'config tf.dataset'],
  ]) ?? [DEFAULTS.dataset, 'default']
  const bqDataset = ds[0]!.trim()
  const problem = datasetIdProblem(bqDataset)
  if (problem) throw invalidValue('BigQuery dataset id', bqDataset, problem, '--bq-dataset')

  const apiRoot = serviceApiRoot({
    flag: f.apiRoot,
    envName: 'DEZC_BQ_API_ROOT',
    section: bq.apiRoot,
    gcp: gcp.apiRoot,
    env,
  })
  const price = f.usdPerTib ?? (env.DEZC_BQ_USD_PER_TIB ? Number(env.DEZC_BQ_USD_PER_TIB) : undefined)
  const usdPerTib = price ?? bq.usdPerTib ?? DEFAULT_USD_PER_TIB
  if (!Number.isFinite(usdPerTib) || usdPerTib < 0)
    throw usageError(
      'INVALID_FLAG',
      `The price per TiB "${price}" is not a non-negative number.`,
      'Pass --usd-per-tib 6.25 (or set bq.usdPerTib in dezc.yaml, or unset DEZC_BQ_USD_PER_TIB).',
    )
  const lake = input.needBucket
    ? await resolveLakeSettings({flags: {bucket: f.bucket, tfDir: f.tfDir}, config: input.config, env, cwd})
    : undefined
  return {
    project,
    projectSource: named ? named[1] : projectSource,
    bqDataset,
    bqDatasetSource: ds[1],
    ...(apiRoot ? {apiRoot} : {}),
    usdPerTib,
    ...(lake ? {lake} : {}),
  }
}
