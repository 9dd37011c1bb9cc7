/**
 * The bootstrap steps: APIs, the account, its roles, its key. Each reads first and writes only
 * what is missing, so a finished project sees no write call and an interrupted run resumes.
 */
import {DezcError, ExitCode} from '../core/errors.js'
import type {Operation, ServiceAccount} from './api.js'
import {SA_DESCRIPTION, SA_DISPLAY_NAME} from './defaults.js'
import {googleErrorInfo, isAccountNotYetKnown, isRetryableServerError, isStatus, toGcpError} from './errors.js'
import {assertKeyFileUsable, decodeKeyFile, keyIdOf, readLocalKey, writeSecretFile} from './keyfile.js'
import {addMember} from './policy.js'
import {sleep, withRetry} from '../core/retry.js'
import {call, ctxFor, eventual, member, propagating, type GcpSession} from './session.js'

export type Outcome =
  'created' | 'changed' | 'already there' | 'would create' | 'would change' | 'removed' | 'kept' | 'not found'

export interface StepResult {
  step: 'apis' | 'account' | 'roles' | 'key' | 'env' | 'keyfile'
  outcome: Outcome
  detail: string
  /** Items acted on (API names, roles, key id, file). */
  items?: string[]
}

// ---------------------------------------------------------------- step 1: APIs

export async function missingServices(s: GcpSession): Promise<string[]> {
  const states = await call(s, 'reading which APIs are enabled', () =>
    Promise.all(s.target.services.map((svc) => s.api.serviceState(s.target.project, svc))),
  )
  s.run.projectNumber ??= states.find((x) => x.projectNumber)?.projectNumber
  return s.target.services.filter((_, i) => states[i].state !== 'ENABLED')
}

export async function enableApis(s: GcpSession): Promise<StepResult> {
  const missing = await missingServices(s)
  if (missing.length === 0)
    return {
      step: 'apis',
      outcome: 'already there',
      detail: `${s.target.services.length} APIs enabled`,
      items: s.target.services,
    }
  for (let i = 0; i < missing.length; i += 20) {
    const chunk = missing.slice(i, i + 20)
    let op = await call(s, 'enabling APIs', () =>
      withRetry(() => s.api.batchEnable(s.target.project, chunk), {
        // "Another activation or deactivation is in progress" (400) and 429/5xx are safe to repeat.
        retryOn: (e) =>
          isRetryableServerError(e) || (isStatus(e, 400) && /in progress/i.test(googleErrorInfo(e).message)),
        initialMs: 2000,
        totalMs: 60_000,
        scale: s.scale,
        signal: s.signal,
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
      throw new DezcError({
        code: 'OPERATION_TIMEOUT',
        message: `Enabling APIs is still running after 5 minutes (${op.name}).`,
        suggestion: 'Re-run the command in a few minutes; it continues from the current state.',
      })
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
  const [status, name] =
    rpc === 7 ? [403, 'PERMISSION_DENIED'] : rpc === 3 ? [400, 'INVALID_ARGUMENT'] : [400, 'FAILED_PRECONDITION']
  const message = op.error
    ? (op.error.message ?? 'unknown error')
    : failures.map((f) => `${f.serviceId}: ${f.errorMessage}`).join('; ')
  throw toGcpError(
    {response: {status, data: {error: {code: status, status: name, message}}}},
    ctxFor(s, `enabling ${services.join(', ')}`),
  )
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

export async function ensureAccount(s: GcpSession): Promise<StepResult> {
  const found = await call(s, `looking up ${s.target.email}`, () =>
    withRetry(
      async () => {
        try {
          return await s.api.getServiceAccount(s.target.project, s.target.email)
        } catch (error) {
          if (isStatus(error, 404)) return undefined
          throw error
        }
      },
      {...eventual(s), retryOn: (e) => propagating(s, e) || isRetryableServerError(e)},
    ),
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
  await call(s, `waiting for ${s.target.email} to become visible`, () =>
    withRetry(() => s.api.getServiceAccount(s.target.project, s.target.email), eventual(s)),
  )
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
          throw new DezcError({
            code: 'POLICY_VERSION',
            message: (error as Error).message,
            suggestion: 'Report this; dezc always reads policy version 3.',
          })
        }
        added = change.changed
        if (change.changed.length === 0) return
        // Record before writing: a lost answer must not make teardown forget a binding we added.
        await s.state.update(s.target.project, s.target.email, (r) => r.addedRoles.push(...change.changed))
        await s.api.setIamPolicy(s.target.project, change.policy)
      },
      {
        retryOn: (e) =>
          isStatus(e, 409, 'ABORTED') ||
          isStatus(e, 412) ||
          isAccountNotYetKnown(e) ||
          isRetryableServerError(e) ||
          propagating(s, e),
        initialMs: 1000,
        factor: 2,
        maxDelayMs: 16_000,
        totalMs: 120_000,
        scale: s.scale,
        signal: s.signal,
        onRetry: (e, attempt) => s.ui.reporter.debug(`policy update retry ${attempt}: ${googleErrorInfo(e).message}`),
      },
    ),
  )
  if (added.length === 0)
    return {step: 'roles', outcome: 'already there', detail: s.target.roles.join(', '), items: s.target.roles}
  return {step: 'roles', outcome: 'changed', detail: `granted ${added.join(', ')}`, items: added}
}

// ---------------------------------------------------------------- step 4: the key

export type KeyCheck =
  | {state: 'valid'; keyId: string}
  | {state: 'missing'}
  | {state: 'stale'; keyId: string; reason: string}
  | {state: 'other-account'; owner: string}
  | {state: 'unreadable'; reason: string}

/** Is the local key file a live key of this account? (keys.list is a read; no key is created.) */
export async function checkLocalKey(s: GcpSession, accountExists = true): Promise<KeyCheck> {
  const local = await readLocalKey(s.target.keyFile)
  if (local.state === 'missing') return {state: 'missing'}
  if (local.state === 'unreadable') return {state: 'unreadable', reason: local.reason}
  if (local.clientEmail !== s.target.email) return {state: 'other-account', owner: local.clientEmail}
  if (!accountExists) return {state: 'stale', keyId: local.keyId, reason: 'the account does not exist'}
  const keys = await call(s, `listing the keys of ${s.target.email}`, () =>
    withRetry(() => s.api.listKeys(s.target.project, s.target.email), eventual(s)),
  )
  const key = keys.find((k) => keyIdOf(k.name) === local.keyId)
  if (!key) return {state: 'stale', keyId: local.keyId, reason: "the key was deleted on Google's side"}
  if (key.disabled) return {state: 'stale', keyId: local.keyId, reason: 'the key is disabled'}
  if (key.validBeforeTime && Date.parse(key.validBeforeTime) <= Date.now())
    return {state: 'stale', keyId: local.keyId, reason: 'the key expired'}
  return {state: 'valid', keyId: local.keyId}
}

export async function ensureKey(s: GcpSession, o: {pruneKeys?: boolean} = {}): Promise<StepResult> {
  await assertKeyFileUsable(s.target.keyFile, s.target.email)
  const check = await checkLocalKey(s)
  if (check.state === 'valid')
    return {
      step: 'key',
      outcome: 'already there',
      detail: `${s.target.keyFile} (key ${check.keyId.slice(0, 8)}…)`,
      items: [s.target.keyFile],
    }
  if (check.state === 'stale')
    s.ui.reporter.info(`The local key ${s.target.keyFile} is no longer valid (${check.reason}); creating a new one.`)
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
  return {
    step: 'key',
    outcome: 'created',
    detail: `${s.target.keyFile} (key ${keyId.slice(0, 8)}…, mode 0600)`,
    items: [s.target.keyFile],
  }
}

/**
 * A keys.create whose answer was lost (connection dropped, Ctrl-C) may still have made a key on
 * Google's side that no file holds. On the next run, keys that appeared around that request and
 * that dezc does not know are recorded as dezc's, so --prune-keys and teardown remove them.
 */
export async function adoptLostKeys(s: GcpSession): Promise<void> {
  const rec = await s.state.get(s.target.project, s.target.email)
  if (!rec?.keyRequestedAt) return
  const at = Date.parse(rec.keyRequestedAt)
  const listed = await call(s, `listing the keys of ${s.target.email}`, () =>
    s.api.listKeys(s.target.project, s.target.email),
  )
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
    s.ui.reporter.warn(
      `An earlier run's key request for ${s.target.email} lost its answer but made key ${lost.join(', ')} (no file holds it); dezc counts it as its own, so \`dezc gcp teardown\` or --prune-keys removes it.`,
    )
  }
}

/** Delete the keys dezc created earlier for this account that no local file uses. */
async function pruneKeys(s: GcpSession): Promise<number> {
  const rec = await s.state.get(s.target.project, s.target.email)
  const local = await readLocalKey(s.target.keyFile)
  const inUse = local.state === 'present' ? local.keyId : undefined
  const listed = await call(s, `listing the keys of ${s.target.email}`, () =>
    s.api.listKeys(s.target.project, s.target.email),
  )
  let n = 0
  for (const k of listed) {
    const id = keyIdOf(k.name)
    if (id === inUse || !rec?.createdKeys.includes(id)) continue
    await call(s, `deleting key ${id}`, () => s.api.deleteKey(k.name ?? ''))
    await s.state.update(
      s.target.project,
      s.target.email,
      (r) => (r.createdKeys = r.createdKeys.filter((x) => x !== id)),
    )
    n++
  }
  return n
}
