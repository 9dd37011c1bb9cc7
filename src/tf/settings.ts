/**
 * The values that go into terraform.tfvars, each resolved flag > env > config `tf.*` > derived
 * default (> prompt for the project when a person can answer), validated before terraform sees
 * them, with where each came from (shown by `tf init`, and in --json).
 */
import path from 'node:path'
import {z} from 'zod'
import {expandHome} from '../config/paths.js'
import {usageError} from '../core/errors.js'
import type {Prompter} from '../core/ui.js'
import {gcloudConfigProject, resolveCredentials, type CredentialsChoice, type GcpConfigView} from './credentials.js'
import {
  bucketNameProblem,
  datasetIdProblem,
  defaultBucketName,
  invalidValue,
  locationForRegion,
  normalizeLocation,
  normalizeStorageClass,
  projectIdProblem,
  regionProblem,
  STORAGE_CLASSES,
} from './names.js'

/** The `tf` section of dezc.yaml. */
export const tfConfigSchema = z.strictObject({
  /** Directory for the generated terraform files (default ./terraform). */
  dir: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  location: z.string().min(1).optional(),
  bucket: z.string().min(1).optional(),
  dataset: z.string().min(1).optional(),
  storageClass: z.string().min(1).optional(),
  /** A key file path, or "adc". */
  credentials: z.string().min(1).optional(),
  /** `tf install`: release mirror, version and target directory. */
  mirror: z.string().url().optional(),
  version: z.string().min(1).optional(),
  binDir: z.string().min(1).optional(),
})
export type TfConfig = z.infer<typeof tfConfigSchema>

export const DEFAULTS = {
  dir: 'terraform',
  region: 'us-central1',
  dataset: 'trips_data_all',
  storageClass: 'STANDARD',
} as const

export interface TfValueFlags {
  project?: string
  region?: string
  location?: string
  bucket?: string
  dataset?: string
  storageClass?: string
  credentials?: string
}

export interface TfSettings {
  project: string
  region: string
  location: string
  bucket: string
  dataset: string
  storageClass: string
  credentials: CredentialsChoice
  /** Where each value came from: "--project", "GOOGLE_CLOUD_PROJECT", "config tf.region", "default", ... */
  sources: Record<string, string>
}

export interface ResolveSettingsInput {
  flags: TfValueFlags
  env: NodeJS.ProcessEnv
  config: TfConfig
  gcp: GcpConfigView
  prompter?: Prompter
  cwd?: string
}

type Candidate = [string | undefined, string]

function first(candidates: Candidate[]): {value: string; source: string} | undefined {
  for (const [v, source] of candidates) {
    if (v !== undefined && v.trim() !== '') return {value: v.trim(), source}
  }
  return undefined
}

/** flag > DEZC_TF_<NAME> > config tf.<key> > the fallback, remembering where the value came from. */
function layered(
  flag: [string | undefined, string],
  envName: string,
  env: NodeJS.ProcessEnv,
  config: TfConfig,
  key: keyof TfConfig,
  fallback: {value: string; source: string},
): {value: string; source: string} {
  return first([flag, [env[envName], envName], [config[key] as string | undefined, `config tf.${key}`]]) ?? fallback
}

export const PROJECT_ENV_VARS = [
  'DEZC_GCP_PROJECT',
  'GOOGLE_CLOUD_PROJECT',
  'CLOUDSDK_CORE_PROJECT',
  'GCLOUD_PROJECT',
] as const

export async function resolveSettings(input: ResolveSettingsInput): Promise<TfSettings> {
  const {flags, env, config, gcp} = input
  const sources: Record<string, string> = {}

  // Project: flag > env > config (tf.project, gcp.project) > gcloud's current project > the key file's project_id > prompt.
  let project = first([
    [flags.project, '--project'],
    ...PROJECT_ENV_VARS.map((name): Candidate => [env[name], name]),
    [config.project, 'config tf.project'],
    [gcp.project, 'config gcp.project'],
  ])
  project ??= await gcloudConfigProject(env).then((p) =>
    p ? {value: p, source: 'gcloud config (core/project)'} : undefined,
  )
  let credentials: CredentialsChoice | undefined
  if (!project) {
    // The bootstrap key knows its project.
    credentials = await resolveCredentials({
      flag: flags.credentials,
      env,
      configured: config.credentials,
      gcp,
      cwd: input.cwd,
    })
    if (credentials.kind === 'key' && credentials.projectId)
      project = {value: credentials.projectId, source: `project_id of ${credentials.path}`}
  }
  if (!project) {
    if (input.prompter?.canPrompt) {
      const value = await input.prompter.input({
        message: 'GCP project id',
        flagHint: '--project',
        validate: (v) => projectIdProblem(v.trim()) ?? true,
      })
      project = {value: value.trim(), source: 'prompt'}
    } else {
      throw usageError('TF_PROJECT_REQUIRED', 'No GCP project id given.', [
        'Pass --project <id> (the id, e.g. "dezc-course-123456", not the display name).',
        `Or set ${PROJECT_ENV_VARS.slice(0, 2).join(' / ')}, or tf.project in dezc.yaml.`,
      ])
    }
  }
  const projectProblem = projectIdProblem(project.value)
  if (projectProblem) throw invalidValue('GCP project id', project.value, projectProblem, '--project')
  sources.project = project.source

  /** One tfvars value: flag > DEZC_TF_<NAME> > config > fallback, checked, with its source recorded. */
  const value = (
    key: 'region' | 'location' | 'bucket' | 'dataset' | 'storageClass',
    flag: string,
    fallback: {value: string; source: string},
    what: string,
    problem: (v: string) => string | undefined,
  ) => {
    const r = layered(
      [flags[key], flag],
      `DEZC_TF_${key === 'storageClass' ? 'STORAGE_CLASS' : key.toUpperCase()}`,
      env,
      config,
      key,
      fallback,
    )
    const p = problem(r.value)
    if (p) throw invalidValue(what, r.value, p, flag)
    sources[key] = r.source
    return r.value
  }
  const region = value('region', '--region', {value: DEFAULTS.region, source: 'default'}, 'region', (v) =>
    regionProblem(v.toLowerCase()),
  ).toLowerCase()
  const location = normalizeLocation(
    value(
      'location',
      '--location',
      {value: locationForRegion(region), source: `default for region ${region}`},
      'location',
      (v) => normalizeLocation(v).problem,
    ),
  ).location!
  const bucket = value(
    'bucket',
    '--bucket',
    {value: defaultBucketName(project.value), source: 'default from the project id'},
    'bucket name',
    bucketNameProblem,
  )
  const dataset = value(
    'dataset',
    '--dataset',
    {value: DEFAULTS.dataset, source: 'default'},
    'BigQuery dataset id',
    datasetIdProblem,
  )
  const storageClass = normalizeStorageClass(
    value('storageClass', '--storage-class', {value: DEFAULTS.storageClass, source: 'default'}, 'storage class', (v) =>
      normalizeStorageClass(v) ? undefined : `use one of ${STORAGE_CLASSES.join(', ')}`,
    ),
  )!

  credentials ??= await resolveCredentials({
    flag: flags.credentials,
    env,
    configured: config.credentials,
    gcp,
    project: project.value,
    cwd: input.cwd,
  })
  sources.credentials = credentials.source

  return {
    project: project.value,
    region,
    location,
    bucket,
    dataset,
    storageClass,
    credentials,
    sources,
  }
}

/** The tf directory: --dir > DEZC_TF_DIR > config tf.dir > ./terraform. */
export function resolveDir(ctx: {config: TfConfig; env: NodeJS.ProcessEnv; cwd: string}, flag?: string): string {
  const d = flag ?? (ctx.env.DEZC_TF_DIR || undefined) ?? ctx.config.dir ?? 'terraform'
  return path.resolve(ctx.cwd, d)
}

// ---------------------------------------------------------------------------------------------
// tf install

export const DEFAULT_MIRROR = 'https://releases.hashicorp.com/terraform'
/** The release `dezc tf install` picks without --version. */
export const DEFAULT_TERRAFORM_VERSION = '1.11.4'

export interface InstallFlagValues {
  version?: string
  mirror?: string
  binDir?: string
}

export interface InstallSettings {
  mirror: string
  /** An exact version, or "latest" (resolved against the mirror by the service). */
  version: string
  binDir: string
}

export function defaultBinDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32' && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, 'dezc', 'bin')
  return expandHome('~/.local/bin', env)
}

const VERSION_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?$/

/** flag > env > config `tf.*` > default, for `tf install`. */
export function resolveInstallSettings(
  flags: InstallFlagValues,
  env: NodeJS.ProcessEnv,
  config: TfConfig,
  platform: NodeJS.Platform = process.platform,
): InstallSettings {
  const m = flags.mirror ?? (env.DEZC_TF_MIRROR || undefined) ?? config.mirror ?? DEFAULT_MIRROR
  let url: URL
  try {
    url = new URL(m)
  } catch {
    throw usageError(
      'TF_MIRROR_INVALID',
      `The mirror "${m}" is not a URL.`,
      `Pass --mirror http(s)://host/path (default ${DEFAULT_MIRROR}).`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(
      'TF_MIRROR_INVALID',
      `The mirror "${m}" must be an http(s) URL.`,
      `Pass --mirror ${DEFAULT_MIRROR} or your own mirror.`,
    )
  const v = flags.version ?? (env.DEZC_TF_VERSION || undefined) ?? config.version ?? DEFAULT_TERRAFORM_VERSION
  let version = v
  if (v !== 'latest') {
    version = v.replace(/^v/, '')
    if (!VERSION_RE.test(version))
      throw usageError(
        'TF_VERSION_INVALID',
        `"${v}" is not a terraform version.`,
        `Pass a version like ${DEFAULT_TERRAFORM_VERSION}, or "latest".`,
      )
  }
  const binDir = path.resolve(
    expandHome(
      flags.binDir ?? (env.DEZC_TF_BIN_DIR || undefined) ?? config.binDir ?? defaultBinDir(env, platform),
      env,
    ),
  )
  return {mirror: m.replace(/\/+$/, ''), version, binDir}
}
