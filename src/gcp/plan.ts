/**
 * What `gcp bootstrap` and `gcp teardown` would do, as pure functions of the settings and what was
 * observed (read-only), with the gcloud commands that do the same by hand: --dry-run prints these.
 */
import type {ServiceAccount} from './api.js'
import {SA_DESCRIPTION, SA_DISPLAY_NAME} from './defaults.js'
import {exportLine, type LocalKeyState} from './keyfile.js'
import {removeMember, type Policy} from './policy.js'
import type {Target} from './settings.js'
import type {AccountRecord} from './state.js'
import type {KeyCheck, StepResult} from './steps.js'

const q = (x: string) => (/^[\w@./:=~-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)

/** What exists and what is missing (`gcp status`, and the input of the bootstrap plan). */
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
export function planBootstrap(report: StatusReport, t: Target, writeEnv?: string): PlanStep[] {
  const missingApis = report.apis.filter((a) => a.enabled !== true).map((a) => a.name)
  const missingRolesList = report.roles.filter((r) => r.granted !== true).map((r) => r.role)
  const plan: PlanStep[] = [
    {
      step: 'apis',
      action: missingApis.length === 0 ? 'none' : 'change',
      detail: missingApis.length === 0 ? 'all enabled' : `enable ${missingApis.join(', ')}`,
      gcloud:
        missingApis.length === 0 ? [] : [`gcloud services enable ${missingApis.join(' ')} --project ${t.project}`],
    },
    {
      step: 'account',
      action: report.account.exists === true ? 'none' : report.account.exists === false ? 'create' : 'unknown',
      detail: report.account.exists === true ? `${t.email} exists` : `create ${t.email}`,
      gcloud:
        report.account.exists === true
          ? []
          : [
              `gcloud iam service-accounts create ${t.saName} --project ${t.project} --display-name ${q(SA_DISPLAY_NAME)} --description ${q(SA_DESCRIPTION)}`,
            ],
    },
    {
      step: 'roles',
      action:
        missingRolesList.length === 0 ? 'none' : report.roles.some((r) => r.granted === null) ? 'unknown' : 'change',
      detail: missingRolesList.length === 0 ? 'all granted' : `grant ${missingRolesList.join(', ')}`,
      gcloud: missingRolesList.map(
        (r) =>
          `gcloud projects add-iam-policy-binding ${t.project} --member serviceAccount:${t.email} --role ${r} --condition None`,
      ),
    },
    {
      step: 'key',
      action:
        report.key.state === 'valid'
          ? 'none'
          : report.key.state === 'other-account' || report.key.state === 'unreadable'
            ? 'unknown'
            : 'create',
      detail:
        report.key.state === 'valid'
          ? `${t.keyFile} is a valid key`
          : report.key.state === 'other-account' || report.key.state === 'unreadable'
            ? `${t.keyFile} ${report.key.reason ?? 'is not usable'}: bootstrap would stop`
            : `create a key into ${t.keyFile} (mode 0600)`,
      gcloud:
        report.key.state === 'valid'
          ? []
          : [
              `gcloud iam service-accounts keys create ${q(t.keyFile)} --iam-account ${t.email}`,
              `chmod 600 ${q(t.keyFile)}`,
            ],
    },
  ]
  if (writeEnv)
    plan.push({
      step: 'env',
      action: 'change',
      detail: `write the export line into ${writeEnv}`,
      gcloud: [`echo ${q(exportLine(t.keyFile))} >> ${q(writeEnv)}`],
    })
  return plan
}

/** Which of the account's things are dezc's to remove: the same rules for the plan and for teardown. */
export function teardownScope(
  t: Target,
  account: ServiceAccount | undefined,
  rec: AccountRecord | undefined,
  o: {deleteAccount?: boolean},
) {
  const createdByDezc = Boolean(rec?.createdAccount) || account?.description === SA_DESCRIPTION
  // Bindings: only the roles dezc added (or, without a record, the roles it grants for an account it created).
  const roles = rec ? rec.addedRoles : createdByDezc ? t.roles : []
  // The account: only one dezc created, unless --delete-account.
  const deleteAccount = Boolean(account) && (createdByDezc || Boolean(o.deleteAccount))
  return {createdByDezc, roles, deleteAccount}
}

/** The key id of the local key file when it is this account's (then teardown deletes key and file). */
export function localKeyIdOf(t: Target, local: LocalKeyState): string | undefined {
  return local.state === 'present' && local.clientEmail === t.email ? local.keyId : undefined
}

/** Keys dezc created, and the one in the local file. */
export function ownKeys(rec: AccountRecord | undefined, localKeyId: string | undefined): Set<string> {
  return new Set([...(rec?.createdKeys ?? []), ...(localKeyId ? [localKeyId] : [])])
}

export interface TeardownObserved {
  account?: ServiceAccount
  record?: AccountRecord
  /** The project policy, read only when some role is in scope. */
  policy?: Policy
  local: LocalKeyState
  /** Key ids the account has (none when it does not exist). */
  keyIds: string[]
}

/**
 * What `teardown` would do: the same decisions (only what dezc added; the account only when dezc
 * created it or --delete-account), with the gcloud commands that would do it by hand.
 */
export function planTeardown(seen: TeardownObserved, t: Target, o: {deleteAccount?: boolean} = {}): PlanStep[] {
  const {account, local} = seen
  const {roles, deleteAccount} = teardownScope(t, account, seen.record, o)
  const m = `serviceAccount:${t.email}`
  const bound = roles.length > 0 && seen.policy ? removeMember(seen.policy, roles, m).changed : []
  const localKeyId = localKeyIdOf(t, local)
  const ours = ownKeys(seen.record, localKeyId)
  const keys = seen.keyIds.filter((id) => ours.has(id))
  return [
    {
      step: 'roles',
      action: bound.length > 0 ? 'change' : 'none',
      detail: bound.length > 0 ? `remove ${bound.join(', ')}` : 'no binding dezc added',
      gcloud: bound.map(
        (r) => `gcloud projects remove-iam-policy-binding ${t.project} --member ${m} --role ${r} --condition None`,
      ),
    },
    {
      step: 'key',
      action: keys.length > 0 ? 'change' : 'none',
      detail: keys.length > 0 ? `delete ${keys.length} key(s) dezc created` : 'no key dezc created',
      gcloud: keys.map((id) => `gcloud iam service-accounts keys delete ${id} --iam-account ${t.email} --quiet`),
    },
    {
      step: 'account',
      action: deleteAccount ? 'change' : 'none',
      detail: !account
        ? `${t.email} not found`
        : deleteAccount
          ? `delete ${t.email}`
          : `keep ${t.email} (not created by dezc; --delete-account deletes it)`,
      gcloud: deleteAccount ? [`gcloud iam service-accounts delete ${t.email} --project ${t.project} --quiet`] : [],
    },
    {
      step: 'keyfile',
      action: localKeyId ? 'change' : 'none',
      detail: localKeyId
        ? `delete ${t.keyFile}`
        : local.state === 'missing'
          ? `${t.keyFile} absent`
          : `${t.keyFile} is not this account's key; left alone`,
      gcloud: localKeyId ? [`rm ${q(t.keyFile)}`] : [],
    },
  ]
}
