/**
 * Doctor checks for the cloud half of the course: terraform, Google credentials (present, and
 * accepted by Google right now), and GOOGLE_APPLICATION_CREDENTIALS (readable, and not the very
 * account `dezc gcp bootstrap` manages). Missing tools or credentials are warnings: the env and
 * ingest half of the course works without them.
 */
import fs from 'node:fs/promises'
import {DezcError} from '../core/errors.js'
import {PolicyPrompter} from '../core/ui.js'
import {fail, failFromError, ok, warn, type Check, type CheckOutcome} from './check.js'
import type {DoctorContext} from './env-checks.js'

interface GcpView {
  project?: string
  serviceAccount?: string
  apiRoot?: string
}

/** The gcp section as doctor needs it; an invalid section is reported by `dezc gcp` itself. */
async function gcpView(ctx: DoctorContext): Promise<GcpView> {
  const raw = (ctx.config.raw('gcp') as GcpView | undefined) ?? {}
  let project: string | undefined
  try {
    const {resolveProject} = await import('../gcp/settings.js')
    project = (await resolveProject({config: raw.project, env: ctx.env, prompter: new PolicyPrompter(false, false)}))
      .project
  } catch {
    project = undefined // unknown or invalid: the checks below say what they could not verify
  }
  return {project, serviceAccount: raw.serviceAccount, apiRoot: ctx.env.DEZC_GOOGLE_API_ROOT || raw.apiRoot}
}

async function googleCredentials(ctx: DoctorContext, signal: AbortSignal): Promise<CheckOutcome> {
  const {resolveAuth, describeAuth} = await import('../gcp/auth.js')
  const view = await gcpView(ctx)
  let auth: Awaited<ReturnType<typeof resolveAuth>>
  try {
    auth = await resolveAuth({env: ctx.env, apiRoot: view.apiRoot})
  } catch (error) {
    if (error instanceof DezcError && error.code === 'NO_CREDENTIALS')
      return warn(
        'No Google credentials (needed for dezc gcp and dezc tf only).',
        error.suggestions[0] ?? 'gcloud auth application-default login',
      )
    return failFromError(error, 'gcloud auth application-default login')
  }
  const who = describeAuth(auth)
  try {
    if (auth.type === 'access_token') {
      // A bare token cannot be refreshed or introspected offline: ask an API that needs only a valid token.
      if (!view.project) return ok(`${who}; not verified (no project known: set gcp.project)`)
      const {createApi} = await import('../gcp/api.js')
      const api = await createApi({auth: auth.client, apiRoot: view.apiRoot, signal})
      await api.serviceState(view.project, 'iam.googleapis.com')
    } else {
      await auth.client.getAccessToken()
    }
    return ok(`${who}: accepted by Google`)
  } catch (error) {
    const e = error as {
      response?: {status?: number; data?: {error?: string | {status?: string}}}
      code?: number | string
      message?: string
    }
    const status = e.response?.status ?? (typeof e.code === 'number' ? e.code : undefined)
    const body = e.response?.data?.error
    const grant = typeof body === 'string' ? body : undefined
    if (grant === 'invalid_grant' || /invalid_grant|expired or revoked/i.test(e.message ?? '')) {
      return fail(`${who}: expired or revoked (invalid_grant).`, 'Log in again: gcloud auth application-default login')
    }
    if (status === 401)
      return fail(
        `${who}: Google rejected the token (401: expired or invalid).`,
        auth.type === 'access_token'
          ? 'Get a fresh one: export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)'
          : 'gcloud auth application-default login',
      )
    if (status === 403 || status === 404)
      return ok(`${who}: token accepted (${status} on project ${view.project}: see dezc gcp status)`)
    return warn(
      `${who}: could not be verified (${e.message ?? String(error)})`,
      'Check the network, then run: dezc gcp status',
    )
  }
}

export const cloudChecks: Array<Check<DoctorContext>> = [
  {
    id: 'terraform',
    group: 'Cloud',
    title: 'terraform',
    async run(ctx) {
      const {ensureTerraform} = await import('../tf/terraform.js')
      try {
        const t = await ensureTerraform(ctx.env)
        return ok(`terraform ${t.version} at ${t.path}`)
      } catch (error) {
        if (error instanceof DezcError && error.code === 'TERRAFORM_NOT_FOUND')
          return warn(
            'terraform is not on PATH (needed for dezc tf only).',
            'dezc tf install (verified against SHA256SUMS), or your package manager',
          )
        return failFromError(error, 'dezc tf install')
      }
    },
  },
  {
    id: 'gcp.credentials',
    group: 'Cloud',
    title: 'Google login',
    run: (ctx, signal) => googleCredentials(ctx, signal),
  },
  {
    id: 'gcp.gac',
    group: 'Cloud',
    title: 'GOOGLE_APPLICATION_CREDENTIALS',
    async run(ctx) {
      const file = ctx.env.GOOGLE_APPLICATION_CREDENTIALS
      if (!file) return ok('not set (dezc uses your own login to bootstrap; tf uses the bootstrap key)')
      let json: {type?: string; client_email?: string}
      try {
        json = JSON.parse(await fs.readFile(file, 'utf8')) as typeof json
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        const why =
          code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by you' : 'is not valid JSON'
        return fail(
          `${file} ${why}.`,
          code === 'EACCES'
            ? `chmod 600 ${file} (as its owner), or unset GOOGLE_APPLICATION_CREDENTIALS`
            : 'Fix the path, or unset GOOGLE_APPLICATION_CREDENTIALS',
        )
      }
      if (json.type !== 'service_account') return ok(`${file} (${json.type ?? 'unknown type'})`)
      const view = await gcpView(ctx)
      const {DEFAULT_SA_NAME, saEmail} = await import('../gcp/defaults.js')
      const managed = view.project ? saEmail(view.serviceAccount ?? DEFAULT_SA_NAME, view.project) : undefined
      if (managed && json.client_email === managed) {
        return warn(
          `${file} is the key of ${managed}, the account dezc gcp bootstrap manages: it cannot grant itself roles.`,
          'For bootstrap, unset it and log in as yourself (gcloud auth application-default login); keep it for terraform and your pipelines',
        )
      }
      return ok(`${file} (service account ${json.client_email})`)
    },
  },
]
