/**
 * Where terraform's Google credentials come from, and the project id when none was given:
 * an explicit key file, GOOGLE_APPLICATION_CREDENTIALS, config, the key `dezc gcp bootstrap`
 * wrote (JSON, mode 0600, in `gcp.keyDir`, default ~/.gc), and finally Application Default
 * Credentials from `gcloud auth application-default login`. Key files are parsed only to read
 * `type`, `project_id` and `client_email`; their contents are never printed.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {expandHome} from '../config/paths.js'

export type CredentialsChoice =
  | {kind: 'key'; path: string; source: string; clientEmail?: string; projectId?: string}
  | {kind: 'adc'; source: string; adcFile?: string}

/** The part of the `gcp` config section tf reads. Read defensively: another capability owns it. */
export interface GcpConfigView {
  project?: string
  /** Where `dezc gcp bootstrap` writes `<service-account>.json` (default ~/.gc). */
  keyDir?: string
}

export function gcpConfigView(raw: unknown): GcpConfigView {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {}
  const r = raw as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
  return {project: str(r.project), keyDir: str(r.keyDir)}
}

export const DEFAULT_KEY_DIR = '~/.gc'

export interface KeyFileInfo {
  path: string
  type?: string
  projectId?: string
  clientEmail?: string
  mtimeMs: number
}

/** Read the public fields of a credentials JSON file; undefined when it is not one. */
export async function readKeyFileInfo(file: string): Promise<KeyFileInfo | undefined> {
  try {
    const st = await fs.stat(file)
    if (!st.isFile() || st.size > 256 * 1024) return undefined
    const data = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>
    if (!data || typeof data !== 'object') return undefined
    const s = (v: unknown) => (typeof v === 'string' ? v : undefined)
    return {
      path: file,
      type: s(data.type),
      projectId: s(data.project_id),
      clientEmail: s(data.client_email),
      mtimeMs: st.mtimeMs,
    }
  } catch {
    return undefined
  }
}

/**
 * The service-account key `dezc gcp bootstrap` left in keyDir: the newest `*.json` of type
 * service_account, preferring one for `project` when a project is known.
 */
export async function findBootstrapKey(keyDir: string, project?: string): Promise<KeyFileInfo | undefined> {
  let names: string[]
  try {
    names = (await fs.readdir(keyDir)).filter((n) => n.endsWith('.json'))
  } catch {
    return undefined
  }
  const infos = (await Promise.all(names.map((n) => readKeyFileInfo(path.join(keyDir, n))))).filter(
    (i): i is KeyFileInfo => i !== undefined && i.type === 'service_account',
  )
  if (infos.length === 0) return undefined
  const pool = project ? infos.filter((i) => i.projectId === project) : infos
  if (pool.length === 0) return undefined
  return pool.sort((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path))[0]
}

/** The ADC file `gcloud auth application-default login` writes, when it exists. */
export async function findAdcFile(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dirs = env.CLOUDSDK_CONFIG ? [env.CLOUDSDK_CONFIG] : [path.join(expandHome('~/.config', env), 'gcloud')]
  if (env.APPDATA) dirs.push(path.join(env.APPDATA, 'gcloud'))
  for (const d of dirs) {
    const f = path.join(d, 'application_default_credentials.json')
    try {
      await fs.access(f)
      return f
    } catch {
      // next
    }
  }
  return undefined
}

/** gcloud's current project (`gcloud config set project`), read from its files without running gcloud. */
export async function gcloudConfigProject(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const dir = env.CLOUDSDK_CONFIG || path.join(expandHome('~/.config', env), 'gcloud')
  try {
    const active =
      (await fs.readFile(path.join(dir, 'active_config'), 'utf8').catch(() => 'default')).trim() || 'default'
    const text = await fs.readFile(path.join(dir, 'configurations', `config_${active}`), 'utf8')
    let section = ''
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim()
      const sec = line.match(/^\[(.+)\]$/)
      if (sec) section = sec[1].trim()
      else if (section === 'core') {
        const kv = line.match(/^project\s*=\s*(\S+)/)
        if (kv) return kv[1]
      }
    }
  } catch {
    // no gcloud config
  }
  return undefined
}

export interface ResolveCredentialsInput {
  /** --credentials */
  flag?: string
  env: NodeJS.ProcessEnv
  /** config tf.credentials */
  configured?: string
  gcp: GcpConfigView
  project?: string
  cwd?: string
}

/**
 * flag > GOOGLE_APPLICATION_CREDENTIALS > config tf.credentials > bootstrap key in
 * gcp.keyDir > ADC. An explicitly named file that is missing is an error, not a silent fallback.
 */
export async function resolveCredentials(input: ResolveCredentialsInput): Promise<CredentialsChoice> {
  const {env} = input
  const explicit: Array<[string | undefined, string]> = [
    [input.flag, '--credentials'],
    [env.GOOGLE_APPLICATION_CREDENTIALS || undefined, 'GOOGLE_APPLICATION_CREDENTIALS'],
    [input.configured, 'config tf.credentials'],
  ]
  for (const [value, source] of explicit) {
    if (!value) continue
    if (value.toLowerCase() === 'adc') return {kind: 'adc', source, adcFile: await findAdcFile(env)}
    const file = path.resolve(input.cwd ?? process.cwd(), expandHome(value, env))
    const info = await readKeyFileInfo(file)
    if (!info) throw missingKeyFile(file, source)
    return {kind: 'key', path: file, source, clientEmail: info.clientEmail, projectId: info.projectId}
  }
  const keyDir = path.resolve(input.cwd ?? process.cwd(), expandHome(input.gcp.keyDir ?? DEFAULT_KEY_DIR, env))
  const key = await findBootstrapKey(keyDir, input.project)
  if (key)
    return {
      kind: 'key',
      path: key.path,
      source: `key from dezc gcp bootstrap in ${keyDir}`,
      clientEmail: key.clientEmail,
      projectId: key.projectId,
    }
  return {kind: 'adc', source: 'Application Default Credentials', adcFile: await findAdcFile(env)}
}

export function missingKeyFile(file: string, source: string): DezcError {
  return new DezcError({
    code: 'TF_CREDENTIALS_MISSING',
    message: `The credentials file ${file} (from ${source}) does not exist or is not a JSON key file.`,
    suggestion: [
      'Create a service-account key with: dezc gcp bootstrap',
      `Or point ${source} at an existing key file, or pass --credentials adc to use "gcloud auth application-default login".`,
    ],
    exit: ExitCode.PREREQUISITE,
  })
}

/** The environment terraform runs with: the key as GOOGLE_APPLICATION_CREDENTIALS, or ADC untouched. */
export function credentialsEnv(choice: CredentialsChoice, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = {...base}
  if (choice.kind === 'key') env.GOOGLE_APPLICATION_CREDENTIALS = choice.path
  return env
}

export function describeCredentials(choice: CredentialsChoice): string {
  if (choice.kind === 'key')
    return `${choice.path} (${choice.source}${choice.clientEmail ? `, ${choice.clientEmail}` : ''})`
  return choice.adcFile
    ? `Application Default Credentials (${choice.adcFile})`
    : 'Application Default Credentials (none found yet: run gcloud auth application-default login)'
}
