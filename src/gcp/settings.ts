/**
 * The one resolution of what `dezc gcp *` acts on, flag > env > config `gcp:` > default: the
 * project id (also used by the wizard and doctor), the account, roles, APIs, key file and API root.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {z} from 'zod'
import type {LoadedConfig} from '../config/load.js'
import {expandHome} from '../config/paths.js'
import {usageError} from '../core/errors.js'
import type {Prompter} from '../core/ui.js'
import {adcQuotaProject} from './auth.js'
import {
  DEFAULT_APIS,
  DEFAULT_KEY_DIR,
  DEFAULT_ROLES,
  DEFAULT_SA_NAME,
  normaliseRole,
  projectIdProblem,
  saEmail,
  serviceName,
  validateAccountId,
  validateProjectId,
} from './defaults.js'

/** The `gcp:` section of dezc.yaml. */
export const gcpConfigSchema = z.strictObject({
  project: z.string().optional(),
  serviceAccount: z.string().optional(),
  roles: z.array(z.string()).optional(),
  apis: z.array(z.string()).optional(),
  keyDir: z.string().optional(),
  apiRoot: z.string().url().optional(),
})
export type GcpConfig = z.infer<typeof gcpConfigSchema>

export interface TargetInput {
  project?: string
  saName?: string
  roles?: string[]
  apis?: string[]
  keyDir?: string
  apiRoot?: string
}

export interface Target {
  project: string
  saName: string
  email: string
  services: string[]
  roles: string[]
  keyFile: string
}

export interface GcpSettings {
  target: Target
  /** Where the project id came from ("--project", "gcloud config", ...). */
  projectSource: string
  apiRoot?: string
}

/** Comma- or space-separated list flag values, flattened. */
export function splitList(values: string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined
  return values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean)
}

export interface SettingsInput {
  flags: TargetInput
  config: LoadedConfig
  prompter: Prompter
  env?: NodeJS.ProcessEnv
}

export async function resolveGcpSettings(input: SettingsInput): Promise<GcpSettings> {
  const env = input.env ?? process.env
  const cfg = input.config.section('gcp', gcpConfigSchema) ?? {}
  const f = input.flags
  const {project, source} = await resolveProject({flag: f.project, config: cfg.project, env, prompter: input.prompter})
  const saName = validateAccountId(f.saName || cfg.serviceAccount || DEFAULT_SA_NAME)
  const email = saEmail(saName, project)
  const services = [...new Set((f.apis ?? cfg.apis ?? DEFAULT_APIS).map(serviceName))]
  const roles = [...new Set((f.roles ?? cfg.roles ?? DEFAULT_ROLES).map(normaliseRole))]
  const keyDir = path.resolve(expandHome(f.keyDir || cfg.keyDir || DEFAULT_KEY_DIR, env))
  const target: Target = {project, saName, email, services, roles, keyFile: path.join(keyDir, `${saName}.json`)}
  const apiRoot = validApiRoot(f.apiRoot || env.DEZC_GOOGLE_API_ROOT || cfg.apiRoot)
  return {target, projectSource: source, ...(apiRoot ? {apiRoot} : {})}
}

export function validApiRoot(root: string | undefined): string | undefined {
  if (!root) return undefined
  let ok = false
  try {
    const u = new URL(root)
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    ok = false
  }
  if (!ok)
    throw usageError(
      'INVALID_API_ROOT',
      `"${root}" is not an http(s) base URL for the Google APIs.`,
      'Pass --api-root (or DEZC_GOOGLE_API_ROOT) like http://127.0.0.1:8080, or unset it to use googleapis.com.',
    )
  return root.replace(/\/+$/, '')
}

export interface ProjectSource {
  project: string
  source: string
}

export interface ResolveProjectOptions {
  flag?: string
  config?: string
  env?: NodeJS.ProcessEnv
  prompter: Prompter
}

/**
 * Which Google Cloud project: --project > GOOGLE_CLOUD_PROJECT / CLOUDSDK_CORE_PROJECT > config
 * `gcp.project` > the ADC quota project > gcloud's active configuration > a prompt. Always
 * validated as a project ID (people often paste the project's display name).
 */
export async function resolveProject(o: ResolveProjectOptions): Promise<ProjectSource> {
  const env = o.env ?? process.env
  const candidates: Array<[string | undefined, string]> = [
    [o.flag, '--project'],
    [env.GOOGLE_CLOUD_PROJECT, 'GOOGLE_CLOUD_PROJECT'],
    [env.CLOUDSDK_CORE_PROJECT, 'CLOUDSDK_CORE_PROJECT'],
    [o.config, 'config gcp.project'],
  ]
  for (const [value, source] of candidates) {
    if (value && value.trim()) return {project: validateProjectId(value.trim()), source}
  }
  const quota = await adcQuotaProject(env)
  if (quota) return {project: validateProjectId(quota), source: 'ADC quota project'}
  const gcloud = await gcloudConfigProject(env)
  if (gcloud) return {project: validateProjectId(gcloud), source: 'gcloud config'}
  const answer = await o.prompter.input({
    message: 'Google Cloud project ID',
    flagHint: '--project PROJECT_ID (or set gcp.project in dezc.yaml)',
    validate: projectIdProblem,
  })
  return {project: validateProjectId(answer.trim()), source: 'prompt'}
}

/** `[core] project` of gcloud's active configuration, read from its files (no gcloud process). */
export async function gcloudConfigProject(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dir = env.CLOUDSDK_CONFIG || path.join(env.HOME || os.homedir(), '.config', 'gcloud')
  try {
    const active =
      (env.CLOUDSDK_ACTIVE_CONFIG_NAME || (await fs.readFile(path.join(dir, 'active_config'), 'utf8'))).trim() ||
      'default'
    const ini = await fs.readFile(path.join(dir, 'configurations', `config_${active}`), 'utf8')
    let section = ''
    for (const raw of ini.split(/\r?\n/)) {
      const line = raw.trim()
      const s = /^\[(.+)\]$/.exec(line)
      if (s) section = s[1]
      else if (section === 'core') {
        const m = /^project\s*=\s*(.+)$/.exec(line)
        if (m) return m[1].trim()
      }
    }
  } catch {
    // no gcloud config
  }
  return undefined
}
