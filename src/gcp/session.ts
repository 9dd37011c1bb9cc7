/**
 * A GcpSession: resolved settings plus credentials and API clients, and the call helpers every
 * step uses (errors through the catalogue, retries for Google's eventual consistency).
 */
import {DezcError, ExitCode} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import {createApi, type GcpApi} from './api.js'
import {describeAuth, gacServiceAccount, resolveAuth, type ResolvedAuth} from './auth.js'
import {timeScale} from './defaults.js'
import {
  googleErrorInfo,
  isNotYetVisible,
  isRetryableServerError,
  isServiceDisabled,
  toGcpError,
  type ErrorContext,
} from './errors.js'
import type {GcpSettings, Target} from './settings.js'
import {StateStore} from './state.js'

export interface GcpSession {
  api: GcpApi
  auth?: ResolvedAuth
  target: Target
  ui: Ui
  signal: AbortSignal
  state: StateStore
  /** DEZC_GCP_TIME_SCALE factor for every delay. */
  scale: number
  /** What this run has learnt and done; decides which failures are worth waiting out. */
  run: RunState
}

export interface RunState {
  /** APIs this run enabled: a SERVICE_DISABLED for them is propagation, not a fault. */
  enabled: Set<string>
  projectNumber?: string
  /** The account was created (or adopted after a 409) by this run: 404/403 reads are lag. */
  accountNew: boolean
}

export function newRunState(): RunState {
  return {enabled: new Set(), accountNew: false}
}

export interface SessionOptions {
  ui: Ui
  signal: AbortSignal
  env?: NodeJS.ProcessEnv
  /** Skip credentials (dry-run without login still shows a plan). */
  optionalAuth?: boolean
}

export async function openSession(
  settings: GcpSettings,
  input: SessionOptions,
): Promise<GcpSession & {auth?: ResolvedAuth; projectSource: string}> {
  const env = input.env ?? process.env
  const {target, apiRoot, projectSource: source} = settings
  const email = target.email
  input.ui.reporter.debug(
    `project ${target.project} (from ${source}); account ${email}; key file ${target.keyFile}${apiRoot ? `; API root ${apiRoot}` : ''}`,
  )

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
    input.ui.reporter.warn(
      `Acting as the service account ${gac} (from GOOGLE_APPLICATION_CREDENTIALS); managing IAM usually needs your own login (gcloud auth application-default login).`,
    )
  }
  const api: GcpApi = auth ? await createApi({auth: auth.client, apiRoot, signal: input.signal}) : offlineApi()
  return {
    api,
    auth,
    target,
    ui: input.ui,
    signal: input.signal,
    state: new StateStore(),
    scale: timeScale(env),
    run: newRunState(),
    projectSource: source,
  }
}

/** SERVICE_DISABLED for an API this run just enabled in the target project (not another consumer). */
export function propagating(s: GcpSession, e: unknown): boolean {
  if (!isServiceDisabled(e)) return false
  const {metadata} = googleErrorInfo(e)
  if (metadata.service && !s.run.enabled.has(metadata.service)) return false
  return !metadata.consumer || !s.run.projectNumber || metadata.consumer === `projects/${s.run.projectNumber}`
}

export const member = (email: string) => `serviceAccount:${email}`

export function ctxFor(s: GcpSession, action: string): ErrorContext {
  return {action, project: s.target.project, account: s.target.email, principal: s.auth?.principal}
}

/** One API call (or retried sequence) with its failure mapped through the error catalogue. */
export async function call<T>(s: GcpSession, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (s.signal.aborted)
      throw new DezcError({code: 'INTERRUPTED', message: 'Interrupted.', exit: ExitCode.INTERRUPTED})
    throw toGcpError(error, ctxFor(s, action))
  }
}

/** Retry while a just-created account is still invisible (404, or 403 "(or it may not exist)"), and while a just-enabled API propagates. */
export function eventual(s: GcpSession) {
  return {
    retryOn: (e: unknown) => (s.run.accountNew && isNotYetVisible(e)) || propagating(s, e) || isRetryableServerError(e),
    initialMs: 1000,
    factor: 1.5,
    maxDelayMs: 10_000,
    totalMs: 120_000,
    scale: s.scale,
    signal: s.signal,
    onRetry: (e: unknown, attempt: number) => s.ui.reporter.debug(`retry ${attempt}: ${googleErrorInfo(e).message}`),
  }
}

/** Used by --dry-run without credentials: every read fails as "unknown". */
function offlineApi(): GcpApi {
  const fail = async (): Promise<never> => {
    throw Object.assign(new Error('not logged in'), {
      response: {status: 401, data: {error: {code: 401, status: 'UNAUTHENTICATED', message: 'no credentials'}}},
    })
  }
  return new Proxy({} as GcpApi, {get: () => fail})
}
