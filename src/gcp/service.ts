/**
 * `dezc gcp bootstrap | status | teardown` as plain functions: an options object, a Ui, an
 * AbortSignal. Every step reads first and writes only what is missing, so a finished project sees
 * no write call at all and an interrupted run resumes where it stopped.
 */
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import type {Task} from '../core/tasks.js'
import type {Ui} from '../core/ui.js'
import type {GcpApi, Operation, ServiceAccount} from './api.js'
import type {ResolvedAuth} from './auth.js'
import {SA_DESCRIPTION, SA_DISPLAY_NAME} from './defaults.js'
import {googleErrorInfo, isAccountNotYetKnown, isNotYetVisible, isRetryableServerError, isServiceDisabled, isStatus, toGcpError, type ErrorContext} from './errors.js'
import {assertKeyFileUsable, decodeKeyFile, exportLine, keyIdOf, readLocalKey, writeEnvLine, writeSecretFile} from './keyfile.js'
import {addMember, missingRoles, removeMember, rolesOf, type Policy} from './policy.js'
import {sleep, withRetry} from './retry.js'
import type {StateStore} from './state.js'

export type Outcome = 'created' | 'changed' | 'already there' | 'would create' | 'would change' | 'removed' | 'kept' | 'not found'

export interface StepResult {
  step: 'apis' | 'account' | 'roles' | 'key' | 'env' | 'keyfile'
  outcome: Outcome
  detail: string
  /** Items acted on (API names, roles, key id, file). */
  items?: string[]
}

export interface Target {
  project: string
  saName: string
  email: string
  services: string[]
  roles: string[]
  keyFile: string
}

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

/** SERVICE_DISABLED for an API this run just enabled in the target project (not another consumer). */
function propagating(s: GcpSession, e: unknown): boolean {
  if (!isServiceDisabled(e)) return false
  const {metadata} = googleErrorInfo(e)
  if (metadata.service && !s.run.enabled.has(metadata.service)) return false
  return !metadata.consumer || !s.run.projectNumber || metadata.consumer === `projects/${s.run.projectNumber}`
}

const member = (email: string) => `serviceAccount:${email}`

function ctxFor(s: GcpSession, action: string): ErrorContext {
  return {action, project: s.target.project, account: s.target.email, principal: s.auth?.principal}
}

async function call<T>(s: GcpSession, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (s.signal.aborted) throw new DezcError({code: 'INTERRUPTED', message: 'Interrupted.', exit: ExitCode.INTERRUPTED})
    throw toGcpError(error, ctxFor(s, action))
  }
}

// ---------------------------------------------------------------- step 1: APIs

export async function missingServices(s: GcpSession): Promise<string[]> {
  const states = await call(s, 'reading which APIs are enabled', () => Promise.all(s.target.services.map((svc) => s.api.serviceState(s.target.project, svc))))
  s.run.projectNumber ??= states.find((x) => x.projectNumber)?.projectNumber
  return s.target.services.filter((_, i) => states[i].state !== 'ENABLED')
}

export async function enableApis(s: GcpSession): Promise<StepResult> {
  const missing = await missingServices(s)
  if (missing.length === 0) return {step: 'apis', outcome: 'already there', detail: `${s.target.services.length} APIs enabled`, items: s.target.services}
  for (let i = 0; i < missing.length; i += 20) {
    const chunk = missing.slice(i, i + 20)
    let op = await call(s, 'enabling APIs', () =>
      withRetry(() => s.api.batchEnable(s.target.project, chunk), {
        // "Another activation or deactivation is in progress" (400) and 429/5xx are safe to repeat.
        retryOn: (e) => isRetryableServerError(e) || (isStatus(e, 400) && /in progress/i.test(googleErrorInfo(e).message)),
        initialMs: 2000, totalMs: 60_000, scale: s.scale, signal: s.signal,
      }),
    )
    op = await waitOperation(s, op)
    checkOperation(s, op, chunk)
    for (const svc of chunk) s.run.enabled.add(svc)
  }
  await s.state.update(s.target.project, s.target.email, (r) => r.enabledApis.push(...missing))
  return {step: 'apis', outcome: 'changed', detail: `enabled ${missing.join(', ')}`, items: missing}
}

async function waitOperation(s: GcpSession, first: Operation): Promise<Operation> {
  let op = first
  let delay = 2000 * s.scale
  const deadline = Date.now() + 5 * 60_000 * s.scale
  for (let polls = 0; !op.done; polls++) {
    // At least a few polls, however slow the answers: the deadline is for operations, not for the network.
    if (polls >= 3 && Date.now() > deadline) {
      throw new DezcError({code: 'OPERATION_TIMEOUT', message: `Enabling APIs is still running after 5 minutes (${op.name}).`, suggestion: 'Re-run the command in a few minutes; it continues from the current state.'})
    }
    await sleep(delay, s.signal)
    delay = Math.min(delay * 1.5, 10_000 * s.scale)
    const name = op.name ?? ''
    op = await call(s, 'waiting for APIs to be enabled', () => s.api.getOperation(name))
  }
  return op
}

/** A finished operation's error (google.rpc.Status) or per-service failures, through the same error catalogue. */
function checkOperation(s: GcpSession, op: Operation, services: string[]): void {
  const failures = op.response?.failures ?? []
  if (!op.error && failures.length === 0) return
  // rpc codes: 7 PERMISSION_DENIED, 3 INVALID_ARGUMENT, anything else (9 FAILED_PRECONDITION ...) a precondition.
  const rpc = op.error?.code
  const [status, name] = rpc === 7 ? [403, 'PERMISSION_DENIED'] : rpc === 3 ? [400, 'INVALID_ARGUMENT'] : [400, 'FAILED_PRECONDITION']
  const message = op.error ? (op.error.message ?? 'unknown error') : failures.map((f) => `${f.serviceId}: ${f.errorMessage}`).join('; ')
  throw toGcpError({response: {status, data: {error: {code: status, status: name, message}}}}, ctxFor(s, `enabling ${services.join(', ')}`))
}

// ---------------------------------------------------------------- step 2: the account

/** The account, or undefined when it does not exist (404). */
export async function findAccount(s: GcpSession): Promise<ServiceAccount | undefined> {
  try {
    return await s.api.getServiceAccount(s.target.project, s.target.email)
  } catch (error) {
    if (isStatus(error, 404)) return undefined
    if (s.signal.aborted) throw error
    throw toGcpError(error, ctxFor(s, `looking up ${s.target.email}`))
  }
}

/** Retry while a just-created account is still invisible (404, or 403 "(or it may not exist)"), and while a just-enabled API propagates. */
function eventual(s: GcpSession) {
  return {
    retryOn: (e: unknown) => (s.run.accountNew && isNotYetVisible(e)) || propagating(s, e) || isRetryableServerError(e),
    initialMs: 1000, factor: 1.5, maxDelayMs: 10_000, totalMs: 120_000, scale: s.scale, signal: s.signal,
    onRetry: (e: unknown, attempt: number) => s.ui.reporter.debug(`retry ${attempt}: ${googleErrorInfo(e).message}`),
  }
}

export async function ensureAccount(s: GcpSession): Promise<StepResult> {
  const found = await call(s, `looking up ${s.target.email}`, () =>
    withRetry(async () => {
      try {
        return await s.api.getServiceAccount(s.target.project, s.target.email)
      } catch (error) {
        if (isStatus(error, 404)) return undefined
        throw error
      }
    }, {...eventual(s), retryOn: (e) => propagating(s, e) || isRetryableServerError(e)}),
  )
  if (found) {
    if (found.disabled) {
      throw new DezcError({
        code: 'ACCOUNT_DISABLED',
        message: `The service account ${s.target.email} exists but is disabled.`,
        suggestion: `Enable it: gcloud iam service-accounts enable ${s.target.email} --project ${s.target.project}`,
        exit: ExitCode.PREREQUISITE,
      })
    }
    return {step: 'account', outcome: 'already there', detail: s.target.email}
  }
  let created = true
  await call(s, `creating ${s.target.email}`, async () => {
    try {
      await s.api.createServiceAccount(s.target.project, s.target.saName, SA_DISPLAY_NAME, SA_DESCRIPTION)
    } catch (error) {
      // Created meanwhile (a parallel run, or our last create whose answer was lost): adopt it.
      if (isStatus(error, 409)) created = false
      else throw error
    }
  })
  s.run.accountNew = true
  if (created) await s.state.update(s.target.project, s.target.email, (r) => (r.createdAccount = true))
  // New accounts are eventually consistent: wait until a read sees it.
  await call(s, `waiting for ${s.target.email} to become visible`, () => withRetry(() => s.api.getServiceAccount(s.target.project, s.target.email), eventual(s)))
  return {step: 'account', outcome: created ? 'created' : 'already there', detail: s.target.email}
}

// ---------------------------------------------------------------- step 3: roles

/** One read-modify-write of the project policy for all roles, restarted on conflicts. */
export async function grantRoles(s: GcpSession): Promise<StepResult> {
  const m = member(s.target.email)
  let added: string[] = []
  await call(s, 'granting roles on the project IAM policy', () =>
    withRetry(
      async () => {
        const policy = await s.api.getIamPolicy(s.target.project)
        let change
        try {
          change = addMember(policy, s.target.roles, m)
        } catch (error) {
          throw new DezcError({code: 'POLICY_VERSION', message: (error as Error).message, suggestion: 'Report this; dezc always reads policy version 3.'})
        }
        added = change.changed
        if (change.changed.length === 0) return
        // Record before writing: a lost answer must not make teardown forget a binding we added.
        await s.state.update(s.target.project, s.target.email, (r) => r.addedRoles.push(...change.changed))
        await s.api.setIamPolicy(s.target.project, change.policy)
      },
      {
        retryOn: (e) => isStatus(e, 409, 'ABORTED') || isStatus(e, 412) || isAccountNotYetKnown(e) || isRetryableServerError(e) || propagating(s, e),
        initialMs: 1000, factor: 2, maxDelayMs: 16_000, totalMs: 120_000, scale: s.scale, signal: s.signal,
        onRetry: (e, attempt) => s.ui.reporter.debug(`policy update retry ${attempt}: ${googleErrorInfo(e).message}`),
      },
    ),
  )
  if (added.length === 0) return {step: 'roles', outcome: 'already there', detail: s.target.roles.join(', '), items: s.target.roles}
  return {step: 'roles', outcome: 'changed', detail: `granted ${added.join(', ')}`, items: added}
}

// ---------------------------------------------------------------- step 4: the key

export type KeyCheck = {state: 'valid'; keyId: string} | {state: 'missing'} | {state: 'stale'; keyId: string; reason: string} | {state: 'other-account'; owner: string} | {state: 'unreadable'; reason: string}

/** Is the local key file a live key of this account? (keys.list is a read; no key is created.) */
export async function checkLocalKey(s: GcpSession, accountExists = true): Promise<KeyCheck> {
  const local = await readLocalKey(s.target.keyFile)
  if (local.state === 'missing') return {state: 'missing'}
  if (local.state === 'unreadable') return {state: 'unreadable', reason: local.reason}
  if (local.clientEmail !== s.target.email) return {state: 'other-account', owner: local.clientEmail}
  if (!accountExists) return {state: 'stale', keyId: local.keyId, reason: 'the account does not exist'}
  const keys = await call(s, `listing the keys of ${s.target.email}`, () => withRetry(() => s.api.listKeys(s.target.project, s.target.email), eventual(s)))
  const key = keys.find((k) => keyIdOf(k.name) === local.keyId)
  if (!key) return {state: 'stale', keyId: local.keyId, reason: 'the key was deleted on Google\'s side'}
  if (key.disabled) return {state: 'stale', keyId: local.keyId, reason: 'the key is disabled'}
  if (key.validBeforeTime && Date.parse(key.validBeforeTime) <= Date.now()) return {state: 'stale', keyId: local.keyId, reason: 'the key expired'}
  return {state: 'valid', keyId: local.keyId}
}

export async function ensureKey(s: GcpSession, o: {pruneKeys?: boolean} = {}): Promise<StepResult> {
  await assertKeyFileUsable(s.target.keyFile, s.target.email)
  const check = await checkLocalKey(s)
  if (check.state === 'valid') return {step: 'key', outcome: 'already there', detail: `${s.target.keyFile} (key ${check.keyId.slice(0, 8)}…)`, items: [s.target.keyFile]}
  if (check.state === 'stale') s.ui.reporter.info(`The local key ${s.target.keyFile} is no longer valid (${check.reason}); creating a new one.`)
  await adoptLostKeys(s)
  const create = async () => {
    await s.state.update(s.target.project, s.target.email, (r) => (r.keyRequestedAt = new Date().toISOString()))
    return call(s, `creating a key for ${s.target.email}`, () =>
      // 404/403 right after the account was created: it has not propagated yet.
      withRetry(() => s.api.createKey(s.target.email), eventual(s)),
    )
  }
  let key
  try {
    key = await create()
  } catch (error) {
    if (!(error instanceof DezcError && error.code === 'KEY_LIMIT_REACHED' && o.pruneKeys)) throw error
    const pruned = await pruneKeys(s)
    if (pruned === 0) throw error
    s.ui.reporter.info(`Deleted ${pruned} unused key(s) dezc had created for ${s.target.email}.`)
    key = await create()
  }
  const {text, keyId} = decodeKeyFile(key.privateKeyData ?? '', s.target.email)
  await s.state.update(s.target.project, s.target.email, (r) => {
    r.createdKeys.push(keyId)
    delete r.keyRequestedAt
  })
  await writeSecretFile(s.target.keyFile, text)
  return {step: 'key', outcome: 'created', detail: `${s.target.keyFile} (key ${keyId.slice(0, 8)}…, mode 0600)`, items: [s.target.keyFile]}
}

/**
 * A keys.create whose answer was lost (connection dropped, Ctrl-C) may still have made a key on
 * Google's side that no file holds. On the next run, keys that appeared around that request and
 * that dezc does not know are recorded as dezc's, so --prune-keys and teardown remove them.
 */
async function adoptLostKeys(s: GcpSession): Promise<void> {
  const rec = await s.state.get(s.target.project, s.target.email)
  if (!rec?.keyRequestedAt) return
  const at = Date.parse(rec.keyRequestedAt)
  const listed = await call(s, `listing the keys of ${s.target.email}`, () => s.api.listKeys(s.target.project, s.target.email))
  const lost = listed
    .filter((k) => !rec.createdKeys.includes(keyIdOf(k.name)))
    .filter((k) => {
      const t = Date.parse(k.validAfterTime ?? '')
      return t >= at - 60_000 && t <= at + 10 * 60_000
    })
    .map((k) => keyIdOf(k.name))
  await s.state.update(s.target.project, s.target.email, (r) => {
    r.createdKeys.push(...lost)
    delete r.keyRequestedAt
  })
  if (lost.length > 0) {
    s.ui.reporter.warn(`An earlier run's key request for ${s.target.email} lost its answer but made key ${lost.join(', ')} (no file holds it); dezc counts it as its own, so \`dezc gcp teardown\` or --prune-keys removes it.`)
  }
}

/** Delete the keys dezc created earlier for this account that no local file uses. */
async function pruneKeys(s: GcpSession): Promise<number> {
  const rec = await s.state.get(s.target.project, s.target.email)
  const local = await readLocalKey(s.target.keyFile)
  const inUse = local.state === 'present' ? local.keyId : undefined
  const listed = await call(s, `listing the keys of ${s.target.email}`, () => s.api.listKeys(s.target.project, s.target.email))
  let n = 0
  for (const k of listed) {
    const id = keyIdOf(k.name)
    if (id === inUse || !rec?.createdKeys.includes(id)) continue
    await call(s, `deleting key ${id}`, () => s.api.deleteKey(k.name ?? ''))
    await s.state.update(s.target.project, s.target.email, (r) => (r.createdKeys = r.createdKeys.filter((x) => x !== id)))
    n++
  }
  return n
}

// ---------------------------------------------------------------- bootstrap

export interface BootstrapOptions {
  writeEnv?: string
  /** At the 10-key limit, delete keys dezc created earlier that no local file uses. */
  pruneKeys?: boolean
}

export interface BootstrapResult {
  project: string
  serviceAccount: string
  keyFile: string
  export: string
  steps: StepResult[]
  envFile?: string
}

export function bootstrapTasks(s: GcpSession, o: BootstrapOptions, out: StepResult[]): Task<object>[] {
  const step = (title: string, fn: () => Promise<StepResult>): Task<object> => ({
    title,
    task: async (_ctx, task) => {
      const r = await fn()
      out.push(r)
      task.title = `${title}: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}`
    },
  })
  const tasks = [
    step(`Enable APIs in ${s.target.project}`, () => enableApis(s)),
    step('Service account', () => ensureAccount(s)),
    step('Project roles', () => grantRoles(s)),
    step('Key file', () => ensureKey(s, {pruneKeys: o.pruneKeys})),
  ]
  if (o.writeEnv) {
    const envFile = o.writeEnv
    tasks.push(step(`Write ${envFile}`, async () => {
      const changed = await writeEnvLine(envFile, exportLine(s.target.keyFile))
      return {step: 'env', outcome: changed ? 'changed' : 'already there', detail: envFile, items: [envFile]}
    }))
  }
  return tasks
}

export async function bootstrap(s: GcpSession, o: BootstrapOptions): Promise<BootstrapResult> {
  // Checked before anything changes: a conflicting key file stops the run up front.
  await assertKeyFileUsable(s.target.keyFile, s.target.email)
  const steps: StepResult[] = []
  const {runTasks} = await import('../core/tasks.js')
  await runTasks(s.ui, bootstrapTasks(s, o, steps), {})
  return {
    project: s.target.project,
    serviceAccount: s.target.email,
    keyFile: s.target.keyFile,
    export: exportLine(s.target.keyFile),
    steps,
    ...(o.writeEnv ? {envFile: path.resolve(o.writeEnv)} : {}),
  }
}

// ---------------------------------------------------------------- status / plan

export interface StatusReport {
  project: string
  serviceAccount: string
  ok: boolean
  apis: Array<{name: string; enabled: boolean | null}>
  account: {exists: boolean | null; createdByDezc?: boolean}
  roles: Array<{role: string; granted: boolean | null}>
  key: {file: string; state: KeyCheck['state'] | 'unknown'; keyId?: string; reason?: string}
  /** Checks that could not run, with why (e.g. an API still disabled). */
  unknown: string[]
}

/** Read-only inspection: what exists and what is missing. */
export async function inspect(s: GcpSession): Promise<StatusReport> {
  const unknown: string[] = []
  const soft = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn()
    } catch (error) {
      const e = error as DezcError
      if (e.code === 'NETWORK_ERROR' || e.code === 'NOT_AUTHENTICATED' || e.code === 'NO_CREDENTIALS' || e.code === 'INTERRUPTED') throw error
      unknown.push(`${what}: ${e.message}`)
      return null
    }
  }
  const states = await Promise.all(
    s.target.services.map((svc) => soft(`API ${svc}`, () => call(s, 'reading which APIs are enabled', async () => (await s.api.serviceState(s.target.project, svc)).state))),
  )
  const apis = s.target.services.map((name, i) => ({name, enabled: states[i] === null ? null : states[i] === 'ENABLED'}))
  const account = await soft('service account', () => findAccount(s))
  const exists = account === null ? null : account !== undefined
  let roles: StatusReport['roles'] = s.target.roles.map((role) => ({role, granted: exists === false ? false : null}))
  if (exists !== false) {
    const policy = await soft('project IAM policy', () => call(s, 'reading the project IAM policy', () => s.api.getIamPolicy(s.target.project)))
    if (policy) {
      const missing = new Set(missingRoles(policy, s.target.roles, member(s.target.email)))
      roles = s.target.roles.map((role) => ({role, granted: !missing.has(role)}))
    }
  }
  let key: StatusReport['key'] = {file: s.target.keyFile, state: 'unknown'}
  const k = await soft('key', () => checkLocalKey(s, exists !== false))
  if (k) key = {file: s.target.keyFile, state: k.state, ...('keyId' in k ? {keyId: k.keyId} : {}), ...('reason' in k ? {reason: k.reason} : {}), ...('owner' in k ? {reason: `belongs to ${k.owner}`} : {})}
  const ok = apis.every((a) => a.enabled === true) && exists === true && roles.every((r) => r.granted === true) && key.state === 'valid'
  return {
    project: s.target.project,
    serviceAccount: s.target.email,
    ok,
    apis,
    account: {exists, ...(account ? {createdByDezc: account.description === SA_DESCRIPTION} : {})},
    roles,
    key,
    unknown,
  }
}

/** The report when nothing could be read (dry-run without credentials): everything is "unknown". */
export function unknownReport(t: Target, why: string): StatusReport {
  return {
    project: t.project,
    serviceAccount: t.email,
    ok: false,
    apis: t.services.map((name) => ({name, enabled: null})),
    account: {exists: null},
    roles: t.roles.map((role) => ({role, granted: null})),
    key: {file: t.keyFile, state: 'unknown'},
    unknown: [why],
  }
}

export interface PlanStep {
  step: StepResult['step']
  action: 'none' | 'create' | 'change' | 'unknown'
  detail: string
  gcloud: string[]
}

/** The plan `--dry-run` shows: what would change, and the gcloud commands that would do the same. */
export function planFrom(report: StatusReport, t: Target, writeEnv?: string): PlanStep[] {
  const q = (x: string) => (/^[\w@./:=~-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)
  const missingApis = report.apis.filter((a) => a.enabled !== true).map((a) => a.name)
  const missingRolesList = report.roles.filter((r) => r.granted !== true).map((r) => r.role)
  const plan: PlanStep[] = [
    {
      step: 'apis',
      action: missingApis.length === 0 ? 'none' : 'change',
      detail: missingApis.length === 0 ? 'all enabled' : `enable ${missingApis.join(', ')}`,
      gcloud: missingApis.length === 0 ? [] : [`gcloud services enable ${missingApis.join(' ')} --project ${t.project}`],
    },
    {
      step: 'account',
      action: report.account.exists === true ? 'none' : report.account.exists === false ? 'create' : 'unknown',
      detail: report.account.exists === true ? `${t.email} exists` : `create ${t.email}`,
      gcloud: report.account.exists === true ? [] : [`gcloud iam service-accounts create ${t.saName} --project ${t.project} --display-name ${q(SA_DISPLAY_NAME)} --description ${q(SA_DESCRIPTION)}`],
    },
    {
      step: 'roles',
      action: missingRolesList.length === 0 ? 'none' : report.roles.some((r) => r.granted === null) ? 'unknown' : 'change',
      detail: missingRolesList.length === 0 ? 'all granted' : `grant ${missingRolesList.join(', ')}`,
      gcloud: missingRolesList.map((r) => `gcloud projects add-iam-policy-binding ${t.project} --member serviceAccount:${t.email} --role ${r} --condition None`),
    },
    {
      step: 'key',
      action: report.key.state === 'valid' ? 'none' : report.key.state === 'other-account' || report.key.state === 'unreadable' ? 'unknown' : 'create',
      detail: report.key.state === 'valid' ? `${t.keyFile} is a valid key` : report.key.state === 'other-account' || report.key.state === 'unreadable' ? `${t.keyFile} ${report.key.reason ?? 'is not usable'}: bootstrap would stop` : `create a key into ${t.keyFile} (mode 0600)`,
      gcloud: report.key.state === 'valid' ? [] : [`gcloud iam service-accounts keys create ${q(t.keyFile)} --iam-account ${t.email}`, `chmod 600 ${q(t.keyFile)}`],
    },
  ]
  if (writeEnv) plan.push({step: 'env', action: 'change', detail: `write the export line into ${writeEnv}`, gcloud: [`echo ${q(exportLine(t.keyFile))} >> ${q(writeEnv)}`]})
  return plan
}

// ---------------------------------------------------------------- teardown

export interface TeardownResult {
  project: string
  serviceAccount: string
  steps: StepResult[]
}

export async function teardown(s: GcpSession, o: {deleteAccount?: boolean} = {}): Promise<TeardownResult> {
  const steps: StepResult[] = []
  const account = await findAccount(s)
  if (account) await adoptLostKeys(s)
  const rec = await s.state.get(s.target.project, s.target.email)
  const createdByDezc = Boolean(rec?.createdAccount) || account?.description === SA_DESCRIPTION
  const m = member(s.target.email)

  // Bindings: only the roles dezc added (or, without a record, the roles it grants for an account it created).
  const roles = rec ? rec.addedRoles : createdByDezc ? s.target.roles : []
  let removedRoles: string[] = []
  if (roles.length > 0) {
    await call(s, 'removing roles from the project IAM policy', () =>
      withRetry(
        async () => {
          const policy: Policy = await s.api.getIamPolicy(s.target.project)
          const change = removeMember(policy, roles, m)
          removedRoles = change.changed
          if (change.changed.length > 0) await s.api.setIamPolicy(s.target.project, change.policy)
        },
        {retryOn: (e) => isStatus(e, 409, 'ABORTED') || isRetryableServerError(e), initialMs: 1000, totalMs: 60_000, scale: s.scale, signal: s.signal},
      ),
    )
  }
  const kept = account ? rolesOf(await call(s, 'reading the project IAM policy', () => s.api.getIamPolicy(s.target.project)), m) : []
  steps.push({step: 'roles', outcome: removedRoles.length > 0 ? 'removed' : 'not found', detail: removedRoles.length > 0 ? `removed ${removedRoles.join(', ')}` : 'no binding dezc added', items: removedRoles})
  if (kept.length > 0 && !createdByDezc) s.ui.reporter.info(`Kept bindings dezc did not add: ${kept.join(', ')}`)

  // Keys dezc created (and the one in the local file), while the account still exists.
  const local = await readLocalKey(s.target.keyFile)
  const localKeyId = local.state === 'present' && local.clientEmail === s.target.email ? local.keyId : undefined
  const removedKeys: string[] = []
  if (account) {
    const listed = await call(s, `listing the keys of ${s.target.email}`, () => s.api.listKeys(s.target.project, s.target.email))
    const ours = new Set([...(rec?.createdKeys ?? []), ...(localKeyId ? [localKeyId] : [])])
    for (const k of listed) {
      const id = keyIdOf(k.name)
      if (!ours.has(id)) continue
      await call(s, `deleting key ${id}`, async () => {
        try {
          await s.api.deleteKey(k.name ?? '')
        } catch (error) {
          if (!isStatus(error, 404)) throw error
        }
      })
      removedKeys.push(id)
    }
  }
  steps.push({step: 'key', outcome: removedKeys.length > 0 ? 'removed' : 'not found', detail: removedKeys.length > 0 ? `deleted ${removedKeys.length} key(s)` : 'no key dezc created', items: removedKeys})

  // The account: only one dezc created, unless --delete-account.
  if (!account) steps.push({step: 'account', outcome: 'not found', detail: s.target.email})
  else if (createdByDezc || o.deleteAccount) {
    await call(s, `deleting ${s.target.email}`, async () => {
      try {
        await s.api.deleteServiceAccount(s.target.project, s.target.email)
      } catch (error) {
        if (!isStatus(error, 404)) throw error
      }
    })
    steps.push({step: 'account', outcome: 'removed', detail: s.target.email})
  } else {
    steps.push({step: 'account', outcome: 'kept', detail: `${s.target.email} was not created by dezc (pass --delete-account to delete it anyway)`})
  }

  // The local key file, only when it is this account's.
  if (localKeyId) {
    const fs = await import('node:fs/promises')
    await fs.rm(s.target.keyFile, {force: true})
    steps.push({step: 'keyfile', outcome: 'removed', detail: s.target.keyFile, items: [s.target.keyFile]})
  } else {
    steps.push({step: 'keyfile', outcome: local.state === 'missing' ? 'not found' : 'kept', detail: local.state === 'missing' ? `${s.target.keyFile} absent` : `${s.target.keyFile} is not this account's key; left alone`})
  }
  await s.state.remove(s.target.project, s.target.email)
  return {project: s.target.project, serviceAccount: s.target.email, steps}
}
