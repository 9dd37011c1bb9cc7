/** From flags + config to a ready GcpSession (target, credentials, API clients). */
import path from 'node:path'
import {z} from 'zod'
import type {LoadedConfig} from '../config/load.js'
import {expandHome} from '../config/paths.js'
import {usageError} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import {createApi, type GcpApi} from './api.js'
import {describeAuth, gacServiceAccount, resolveAuth, type ResolvedAuth} from './auth.js'
import {DEFAULT_APIS, DEFAULT_KEY_DIR, DEFAULT_ROLES, DEFAULT_SA_NAME, normaliseRole, saEmail, serviceName, timeScale, validateAccountId} from './defaults.js'
import {resolveProject} from './project.js'
import {newRunState, type GcpSession, type Target} from './service.js'
import {StateStore} from './state.js'

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

/** Comma- or space-separated list flag values, flattened. */
export function splitList(values: string[] | undefined): string[] | undefined {
  if (!values || values.length === 0) return undefined
  return values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean)
}

export interface SessionInput {
  flags: TargetInput
  config: LoadedConfig
  ui: Ui
  signal: AbortSignal
  env?: NodeJS.ProcessEnv
  /** Skip credentials (dry-run without login still shows a plan). */
  optionalAuth?: boolean
}

export async function openSession(input: SessionInput): Promise<GcpSession & {auth?: ResolvedAuth; projectSource: string}> {
  const env = input.env ?? process.env
  const cfg = input.config.section('gcp', gcpConfigSchema) ?? {}
  const f = input.flags
  const {project, source} = await resolveProject({flag: f.project, config: cfg.project, env, prompter: input.ui.prompter})
  const saName = validateAccountId(f.saName || cfg.serviceAccount || DEFAULT_SA_NAME)
  const email = saEmail(saName, project)
  const services = [...new Set((f.apis ?? cfg.apis ?? DEFAULT_APIS).map(serviceName))]
  const roles = [...new Set((f.roles ?? cfg.roles ?? DEFAULT_ROLES).map(normaliseRole))]
  const keyDir = path.resolve(expandHome(f.keyDir || cfg.keyDir || DEFAULT_KEY_DIR, env))
  const target: Target = {project, saName, email, services, roles, keyFile: path.join(keyDir, `${saName}.json`)}
  const apiRoot = validApiRoot(f.apiRoot || env.DEZC_GOOGLE_API_ROOT || cfg.apiRoot)
  input.ui.reporter.debug(`project ${project} (from ${source}); account ${email}; key file ${target.keyFile}${apiRoot ? `; API root ${apiRoot}` : ''}`)

  let auth: ResolvedAuth | undefined
  try {
    auth = await resolveAuth({env, apiRoot})
    input.ui.reporter.debug(`credentials: ${describeAuth(auth)}`)
  } catch (error) {
    if (!input.optionalAuth) throw error
    input.ui.reporter.warn(`${(error as Error).message} Showing the full plan without reading the project.`)
  }
  const gac = await gacServiceAccount(env)
  if (gac === email && (!auth || auth.source === 'GOOGLE_APPLICATION_CREDENTIALS')) {
    input.ui.reporter.warn(
      `GOOGLE_APPLICATION_CREDENTIALS points at the key of ${email}, the very account being set up: dezc would act as that account, which usually lacks the rights to manage IAM (PERMISSION_DENIED). Unset it for this command (env -u GOOGLE_APPLICATION_CREDENTIALS dezc ...) and log in as yourself with \`gcloud auth application-default login\`.`,
    )
  } else if (gac && auth?.source === 'GOOGLE_APPLICATION_CREDENTIALS') {
    input.ui.reporter.warn(`Acting as the service account ${gac} (from GOOGLE_APPLICATION_CREDENTIALS); managing IAM usually needs your own login (gcloud auth application-default login).`)
  }
  const api: GcpApi = auth ? await createApi({auth: auth.client, apiRoot, signal: input.signal}) : offlineApi()
  return {api, auth, target, ui: input.ui, signal: input.signal, state: new StateStore(), scale: timeScale(env), run: newRunState(), projectSource: source}
}

function validApiRoot(root: string | undefined): string | undefined {
  if (!root) return undefined
  let ok = false
  try {
    const u = new URL(root)
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    ok = false
  }
  if (!ok) throw usageError('INVALID_API_ROOT', `"${root}" is not an http(s) base URL for the Google APIs.`, 'Pass --api-root (or DEZC_GOOGLE_API_ROOT) like http://127.0.0.1:8080, or unset it to use googleapis.com.')
  return root.replace(/\/+$/, '')
}

/** Used by --dry-run without credentials: every read fails as "unknown". */
function offlineApi(): GcpApi {
  const fail = async (): Promise<never> => {
    throw Object.assign(new Error('not logged in'), {response: {status: 401, data: {error: {code: 401, status: 'UNAUTHENTICATED', message: 'no credentials'}}}})
  }
  return new Proxy({} as GcpApi, {get: () => fail})
}
