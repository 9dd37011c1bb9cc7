/**
 * Turning Google API failures into DezcErrors that say what is wrong and how to fix it.
 * Apiary clients throw a GaxiosError whose `response.data.error` is the standard envelope
 * `{code, message, status, details}`; the OAuth token endpoint answers `{error, error_description}`.
 */
import {DezcError, ExitCode, systemErrorCode, type ErrorCode} from '../core/errors.js'

export interface GoogleErrorInfo {
  /** HTTP status, 0 when no response arrived. */
  httpStatus: number
  /** Canonical status: ALREADY_EXISTS, ABORTED, PERMISSION_DENIED, ... */
  status?: string
  message: string
  /** ErrorInfo.reason values (SERVICE_DISABLED, IAM_PERMISSION_DENIED, ...). */
  reasons: string[]
  metadata: Record<string, string>
  /** PreconditionFailure violation types (org policy constraints). */
  violations: string[]
  /** OAuth token endpoint error (invalid_grant, ...). */
  oauthError?: string
  /** Node network error code when the request never got an answer. */
  networkCode?: string
}

interface Detail {
  '@type'?: string
  reason?: string
  metadata?: Record<string, string>
  violations?: Array<{type?: string}>
}

export function googleErrorInfo(err: unknown): GoogleErrorInfo {
  const e = err as {status?: unknown; code?: unknown; message?: string; response?: {status?: number; data?: unknown}}
  const httpStatus =
    typeof e?.response?.status === 'number' ? e.response.status : typeof e?.status === 'number' ? e.status : 0
  let data = e?.response?.data as any
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data)
    } catch {
      data = undefined
    }
  }
  const info: GoogleErrorInfo = {
    httpStatus,
    message: e?.message ?? String(err),
    reasons: [],
    metadata: {},
    violations: [],
  }
  const env = data?.error
  if (env && typeof env === 'object') {
    info.status = env.status
    if (typeof env.message === 'string') info.message = env.message
    for (const d of (env.details ?? []) as Detail[]) {
      if (d.reason) info.reasons.push(d.reason)
      if (d.metadata) Object.assign(info.metadata, d.metadata)
      for (const v of d.violations ?? []) if (v.type) info.violations.push(v.type)
    }
  } else if (typeof env === 'string') {
    info.oauthError = env
    if (typeof data.error_description === 'string') info.message = data.error_description
  }
  if (httpStatus === 0) info.networkCode = systemErrorCode(err) ?? (typeof e?.code === 'string' ? e.code : undefined)
  return info
}

export const isStatus = (err: unknown, http: number, status?: string): boolean => {
  const i = googleErrorInfo(err)
  return i.httpStatus === http && (status === undefined || i.status === status)
}

/** Eventual consistency right after creating an account: 404, or 403 "(or it may not exist)". */
export function isNotYetVisible(err: unknown): boolean {
  const i = googleErrorInfo(err)
  return (
    i.httpStatus === 404 ||
    (i.httpStatus === 403 && i.message.includes('(or it may not exist)') && !i.reasons.includes('SERVICE_DISABLED'))
  )
}

/** setIamPolicy before the new account has propagated. */
export function isAccountNotYetKnown(err: unknown): boolean {
  const i = googleErrorInfo(err)
  return i.httpStatus === 400 && /Service account .* does not exist/.test(i.message)
}

export function isServiceDisabled(err: unknown): boolean {
  return googleErrorInfo(err).reasons.includes('SERVICE_DISABLED')
}

export function isRetryableServerError(err: unknown): boolean {
  const s = googleErrorInfo(err).httpStatus
  return s === 429 || s === 500 || s === 502 || s === 503 || s === 504
}

export interface ErrorContext {
  /** What dezc was doing, e.g. "enabling APIs". */
  action: string
  project?: string
  account?: string
  /** Who is calling (for permission errors). */
  principal?: string
}

/** Map any failure of a Google call to a DezcError with the fix. */
export function toGcpError(err: unknown, ctx: ErrorContext): DezcError {
  if (err instanceof DezcError) return err
  const i = googleErrorInfo(err)
  const where = ctx.project ? ` in project ${ctx.project}` : ''
  const details = {
    httpStatus: i.httpStatus || undefined,
    status: i.status,
    reasons: i.reasons.length ? i.reasons : undefined,
  }
  const mk = (
    code: ErrorCode,
    message: string,
    suggestion: string[],
    exit: (typeof ExitCode)[keyof typeof ExitCode] = ExitCode.FAILURE,
    extra: Record<string, unknown> = {},
  ) => new DezcError({code, message, suggestion, exit, cause: err, details: {...details, ...extra}})

  if (i.httpStatus === 0) {
    const name = (err as Error)?.name
    if (name === 'AbortError')
      return new DezcError({code: 'INTERRUPTED', message: 'Interrupted.', exit: ExitCode.INTERRUPTED})
    return mk(
      'NETWORK_ERROR',
      `Network failure while ${ctx.action}: ${i.networkCode ?? i.message}.`,
      [
        'Check your connection (and any proxy), then re-run the same command: every step is idempotent, so it resumes where it stopped.',
      ],
      ExitCode.FAILURE,
      {networkCode: i.networkCode},
    )
  }
  if (i.oauthError || i.httpStatus === 401) {
    const rapt = i.message.includes('invalid_rapt')
    return mk(
      'NOT_AUTHENTICATED',
      `Your Google credentials were refused while ${ctx.action}: ${i.message}`,
      [
        rapt
          ? 'Your organisation requires re-authentication: run `gcloud auth application-default login` again.'
          : 'Log in again: `gcloud auth application-default login` (or refresh GOOGLE_OAUTH_ACCESS_TOKEN with `gcloud auth print-access-token`).',
      ],
      ExitCode.PREREQUISITE,
    )
  }
  if (i.reasons.includes('SERVICE_DISABLED')) {
    const service = i.metadata.service ?? 'the API'
    const consumer = i.metadata.consumer ?? ''
    const url = i.metadata.activationUrl
    return mk(
      'API_NOT_ENABLED',
      `${i.metadata.serviceTitle ?? service} is not enabled for ${consumer || 'the consumer project'} (needed while ${ctx.action}).`,
      [
        url
          ? `Enable it at ${url} (or: gcloud services enable ${service} --project ${consumer.replace('projects/', '') || ctx.project}), wait a minute, then re-run.`
          : `Enable it: gcloud services enable ${service} --project ${ctx.project}, then re-run.`,
        'The project in that message is the one your credentials bill requests to (the ADC quota project); if it is not the project you meant, run `gcloud auth application-default set-quota-project <project>` or set GOOGLE_CLOUD_QUOTA_PROJECT.',
      ],
      ExitCode.PREREQUISITE,
      {service, activationUrl: url, consumer},
    )
  }
  if (/billing/i.test(i.message) || i.reasons.some((r) => r.includes('BILLING'))) {
    return mk(
      'BILLING_NOT_ENABLED',
      `Billing is not enabled for project ${ctx.project ?? ''}: ${i.message}`,
      [
        `Link a billing account: https://console.cloud.google.com/billing/linkedaccount?project=${ctx.project ?? ''} (or: gcloud billing projects link ${ctx.project ?? '<project>'} --billing-account <ID>), then re-run.`,
      ],
      ExitCode.PREREQUISITE,
    )
  }
  if (i.violations.some((v) => v.includes('disableServiceAccountKeyCreation'))) {
    const constraint =
      i.violations.find((v) => v.includes('disableServiceAccountKeyCreation')) ??
      'constraints/iam.disableServiceAccountKeyCreation'
    const account = ctx.account ?? '<service-account-email>'
    return mk(
      'KEY_CREATION_DISABLED',
      `Creating a key for ${account} is blocked by the organisation policy ${constraint}.`,
      [
        `Ask an Org Policy Administrator (roles/orgpolicy.policyAdmin) to override ${constraint.replace('constraints/', '')} with enforce: false for project ${ctx.project ?? ''}, or use a personal project outside the organisation.`,
        `Or use the account without a key (impersonation): grant yourself roles/iam.serviceAccountTokenCreator on it, then run \`gcloud auth application-default login --impersonate-service-account=${account}\`.`,
      ],
      ExitCode.PREREQUISITE,
      {constraint},
    )
  }
  if (i.httpStatus === 400 && i.status === 'FAILED_PRECONDITION' && ctx.action.includes('key')) {
    return mk(
      'KEY_LIMIT_REACHED',
      `Google refused a new key for ${ctx.account ?? 'the service account'} (${i.message}): an account holds at most 10 user-managed keys.`,
      [
        `List them: gcloud iam service-accounts keys list --iam-account ${ctx.account ?? '<email>'} --managed-by user`,
        `Delete keys you no longer use: gcloud iam service-accounts keys delete <KEY_ID> --iam-account ${ctx.account ?? '<email>'}; or re-run with --prune-keys to delete the keys dezc created earlier that no local file uses.`,
      ],
      ExitCode.PREREQUISITE,
    )
  }
  if (i.httpStatus === 429 && /Maximum number of keys/i.test(i.message)) {
    return toGcpError(
      {response: {status: 400, data: {error: {status: 'FAILED_PRECONDITION', message: i.message}}}},
      ctx,
    )
  }
  if (i.httpStatus === 403) {
    const permission =
      i.metadata.permission ??
      /Permission '([^']+)'/.exec(i.message)?.[1] ??
      (/enable service/.test(i.message) ? 'serviceusage.services.enable' : undefined)
    return mk(
      'PERMISSION_DENIED',
      `Permission denied while ${ctx.action}${where}: ${i.message}`,
      [
        `${ctx.principal ? `You are calling as ${ctx.principal}. ` : ''}That identity needs Owner on the project, or: Service Account Admin, Service Account Key Admin, Project IAM Admin and Service Usage Admin.`,
        'If GOOGLE_APPLICATION_CREDENTIALS points at a service-account key, unset it and run `gcloud auth application-default login` as yourself. Also check the project ID exists (Google answers 403, not 404, for unknown projects).',
      ],
      ExitCode.PREREQUISITE,
      {permission},
    )
  }
  if (i.httpStatus === 400 && i.status === 'INVALID_ARGUMENT') {
    return mk(
      'INVALID_ARGUMENT',
      `Google rejected the request while ${ctx.action}: ${i.message}`,
      ['Check the project ID and service-account name (see --help).'],
      ExitCode.USAGE,
    )
  }
  if (i.httpStatus === 409 && i.status === 'ABORTED') {
    return mk('CONCURRENT_POLICY_CHANGE', `The project IAM policy kept changing under us while ${ctx.action}.`, [
      'Another tool is editing the policy; wait a minute and re-run (the command resumes).',
    ])
  }
  return mk(
    'GOOGLE_API_ERROR',
    `Google API error while ${ctx.action}${where}: ${i.httpStatus} ${i.status ?? ''} ${i.message}`
      .replace(/\s+/g, ' ')
      .trim(),
    ['Re-run with --verbose for details; the command is safe to re-run and resumes where it stopped.'],
  )
}
