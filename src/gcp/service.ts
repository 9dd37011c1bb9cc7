/**
 * `dezc gcp bootstrap | status | teardown` as plain functions of a GcpSession (settings, Ui,
 * AbortSignal): observe read-only for status and --dry-run plans, or carry the steps out.
 */
import path from 'node:path'
import {UserAbortError, type DezcError} from '../core/errors.js'
import type {Task} from '../core/tasks.js'
import {SA_DESCRIPTION} from './defaults.js'
import {isRetryableServerError, isStatus} from './errors.js'
import {assertKeyFileUsable, exportLine, keyIdOf, readLocalKey, writeEnvLine} from './keyfile.js'
import {
  localKeyIdOf,
  ownKeys,
  planBootstrap,
  planTeardown,
  teardownScope,
  unknownReport,
  type PlanStep,
  type StatusReport,
  type TeardownObserved,
} from './plan.js'
import {missingRoles, removeMember, rolesOf, type Policy} from './policy.js'
import {withRetry} from '../core/retry.js'
import {call, member, type GcpSession} from './session.js'
import {
  adoptLostKeys,
  checkLocalKey,
  enableApis,
  ensureAccount,
  ensureKey,
  findAccount,
  grantRoles,
  type StepResult,
} from './steps.js'

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
    tasks.push(
      step(`Write ${envFile}`, async () => {
        const changed = await writeEnvLine(envFile, exportLine(s.target.keyFile))
        return {step: 'env', outcome: changed ? 'changed' : 'already there', detail: envFile, items: [envFile]}
      }),
    )
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

export interface BootstrapPlanResult {
  dryRun: true
  project: string
  serviceAccount: string
  keyFile: string
  plan: PlanStep[]
  unknown: string[]
}

/** `bootstrap --dry-run`: inspect (when logged in) and plan; nothing is changed. */
export async function bootstrapPlan(s: GcpSession, o: BootstrapOptions): Promise<BootstrapPlanResult> {
  const report = s.auth ? await inspect(s) : unknownReport(s.target, 'no credentials')
  const plan = planBootstrap(report, s.target, o.writeEnv)
  return {
    dryRun: true,
    project: s.target.project,
    serviceAccount: s.target.email,
    keyFile: s.target.keyFile,
    plan,
    unknown: report.unknown,
  }
}

// ---------------------------------------------------------------- status

/** Read-only inspection: what exists and what is missing. */
export async function inspect(s: GcpSession): Promise<StatusReport> {
  const unknown: string[] = []
  const soft = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn()
    } catch (error) {
      const e = error as DezcError
      if (
        e.code === 'NETWORK_ERROR' ||
        e.code === 'NOT_AUTHENTICATED' ||
        e.code === 'NO_CREDENTIALS' ||
        e.code === 'INTERRUPTED'
      )
        throw error
      unknown.push(`${what}: ${e.message}`)
      return null
    }
  }
  const states = await Promise.all(
    s.target.services.map((svc) =>
      soft(`API ${svc}`, () =>
        call(s, 'reading which APIs are enabled', async () => (await s.api.serviceState(s.target.project, svc)).state),
      ),
    ),
  )
  const apis = s.target.services.map((name, i) => ({
    name,
    enabled: states[i] === null ? null : states[i] === 'ENABLED',
  }))
  const account = await soft('service account', () => findAccount(s))
  const exists = account === null ? null : account !== undefined
  let roles: StatusReport['roles'] = s.target.roles.map((role) => ({role, granted: exists === false ? false : null}))
  if (exists !== false) {
    const policy = await soft('project IAM policy', () =>
      call(s, 'reading the project IAM policy', () => s.api.getIamPolicy(s.target.project)),
    )
    if (policy) {
      const missing = new Set(missingRoles(policy, s.target.roles, member(s.target.email)))
      roles = s.target.roles.map((role) => ({role, granted: !missing.has(role)}))
    }
  }
  let key: StatusReport['key'] = {file: s.target.keyFile, state: 'unknown'}
  const k = await soft('key', () => checkLocalKey(s, exists !== false))
  if (k)
    key = {
      file: s.target.keyFile,
      state: k.state,
      ...('keyId' in k ? {keyId: k.keyId} : {}),
      ...('reason' in k ? {reason: k.reason} : {}),
      ...('owner' in k ? {reason: `belongs to ${k.owner}`} : {}),
    }
  const ok =
    apis.every((a) => a.enabled === true) &&
    exists === true &&
    roles.every((r) => r.granted === true) &&
    key.state === 'valid'
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

// ---------------------------------------------------------------- teardown

export interface TeardownResult {
  project: string
  serviceAccount: string
  steps: StepResult[]
}

/** Asks first (the prompter answers under --yes), then removes only what dezc added. */
export async function teardown(s: GcpSession, o: {deleteAccount?: boolean} = {}): Promise<TeardownResult> {
  const ok = await s.ui.prompter.confirm({
    message: `Remove ${s.target.email}'s keys and the role bindings dezc added in ${s.target.project}, the account if dezc created it, and ${s.target.keyFile}?`,
    default: false,
  })
  if (!ok) throw new UserAbortError('Teardown cancelled; nothing was changed.')
  const steps: StepResult[] = []
  const account = await findAccount(s)
  if (account) await adoptLostKeys(s)
  const rec = await s.state.get(s.target.project, s.target.email)
  const {createdByDezc, roles, deleteAccount} = teardownScope(s.target, account, rec, o)
  const m = member(s.target.email)

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
        {
          retryOn: (e) => isStatus(e, 409, 'ABORTED') || isRetryableServerError(e),
          initialMs: 1000,
          totalMs: 60_000,
          scale: s.scale,
          signal: s.signal,
        },
      ),
    )
  }
  const kept = account
    ? rolesOf(await call(s, 'reading the project IAM policy', () => s.api.getIamPolicy(s.target.project)), m)
    : []
  steps.push({
    step: 'roles',
    outcome: removedRoles.length > 0 ? 'removed' : 'not found',
    detail: removedRoles.length > 0 ? `removed ${removedRoles.join(', ')}` : 'no binding dezc added',
    items: removedRoles,
  })
  if (kept.length > 0 && !createdByDezc) s.ui.reporter.info(`Kept bindings dezc did not add: ${kept.join(', ')}`)

  // Keys dezc created (and the one in the local file), while the account still exists.
  const local = await readLocalKey(s.target.keyFile)
  const localKeyId = localKeyIdOf(s.target, local)
  const removedKeys: string[] = []
  if (account) {
    const listed = await call(s, `listing the keys of ${s.target.email}`, () =>
      s.api.listKeys(s.target.project, s.target.email),
    )
    const ours = ownKeys(rec, localKeyId)
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
  steps.push({
    step: 'key',
    outcome: removedKeys.length > 0 ? 'removed' : 'not found',
    detail: removedKeys.length > 0 ? `deleted ${removedKeys.length} key(s)` : 'no key dezc created',
    items: removedKeys,
  })

  if (!account) steps.push({step: 'account', outcome: 'not found', detail: s.target.email})
  else if (deleteAccount) {
    await call(s, `deleting ${s.target.email}`, async () => {
      try {
        await s.api.deleteServiceAccount(s.target.project, s.target.email)
      } catch (error) {
        if (!isStatus(error, 404)) throw error
      }
    })
    steps.push({step: 'account', outcome: 'removed', detail: s.target.email})
  } else {
    steps.push({
      step: 'account',
      outcome: 'kept',
      detail: `${s.target.email} was not created by dezc (pass --delete-account to delete it anyway)`,
    })
  }

  // The local key file, only when it is this account's.
  if (localKeyId) {
    const fs = await import('node:fs/promises')
    await fs.rm(s.target.keyFile, {force: true})
    steps.push({step: 'keyfile', outcome: 'removed', detail: s.target.keyFile, items: [s.target.keyFile]})
  } else {
    steps.push({
      step: 'keyfile',
      outcome: local.state === 'missing' ? 'not found' : 'kept',
      detail:
        local.state === 'missing'
          ? `${s.target.keyFile} absent`
          : `${s.target.keyFile} is not this account's key; left alone`,
    })
  }
  await s.state.remove(s.target.project, s.target.email)
  return {project: s.target.project, serviceAccount: s.target.email, steps}
}

/** The reads the teardown plan needs, in the order teardown makes them. */
export async function observeTeardown(s: GcpSession, o: {deleteAccount?: boolean} = {}): Promise<TeardownObserved> {
  const t = s.target
  const account = await findAccount(s)
  const record = await s.state.get(t.project, t.email)
  const {roles} = teardownScope(t, account, record, o)
  const policy =
    roles.length > 0 ? await call(s, 'reading the project IAM policy', () => s.api.getIamPolicy(t.project)) : undefined
  const local = await readLocalKey(t.keyFile)
  const keyIds = account
    ? (await call(s, `listing the keys of ${t.email}`, () => s.api.listKeys(t.project, t.email))).map((k) =>
        keyIdOf(k.name),
      )
    : []
  return {account, record, policy, local, keyIds}
}

export interface TeardownPlanResult {
  dryRun: true
  project: string
  serviceAccount: string
  plan: PlanStep[]
}

/** `teardown --dry-run`: read-only. */
export async function teardownPlan(s: GcpSession, o: {deleteAccount?: boolean} = {}): Promise<TeardownPlanResult> {
  const plan = planTeardown(await observeTeardown(s, o), s.target, o)
  return {dryRun: true, project: s.target.project, serviceAccount: s.target.email, plan}
}
