/**
 * A stateful fake of the Google REST APIs `dezc gcp` talks to, on a loopback port:
 *   - IAM admin v1: service accounts and keys (keys are real 2048-bit RSA keys in the real key-file format),
 *   - Cloud Resource Manager v1: projects.get, get/setIamPolicy with etags (409 ABORTED on mismatch),
 *   - Service Usage v1: services.get, services:batchEnable with long-running operations,
 *   - the OAuth token endpoint (POST /token; refresh-token and JWT-bearer grants).
 * All hosts share one base URL and the real paths (what `rootUrl` / DEZC_GOOGLE_API_ROOT produce).
 * Error bodies are the real ones (shared/notes/gcp-apis.md §4). Faults can be injected per request.
 * It is a stand-in: it models the behaviour dezc depends on, not all of Google.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface FakeBinding {
  role: string
  members: string[]
  condition?: {title?: string; expression?: string}
}

export interface FakePolicy {
  version: number
  etag: string
  bindings: FakeBinding[]
}

export interface FakeProject {
  id: string
  number: string
  policy: FakePolicy
  /** Enabled service names (iam.googleapis.com, ...). */
  services: Set<string>
  billing: boolean
  /** Org-policy constraint blocking key creation, e.g. constraints/iam.disableServiceAccountKeyCreation. */
  keyCreationBlockedBy?: string
}

export interface FakeKey {
  name: string
  id: string
  validAfterTime: string
  validBeforeTime: string
  disabled?: boolean
}

export interface FakeAccount {
  email: string
  project: string
  uniqueId: string
  displayName?: string
  description?: string
  disabled?: boolean
  keys: Map<string, FakeKey>
  /** GET/keys calls that still answer 404 (eventual consistency). */
  hiddenReads: number
  /** setIamPolicy calls that still answer 400 "does not exist". */
  unknownToPolicy: number
}

export type Api = 'iam' | 'crm' | 'serviceusage' | 'oauth' | 'unknown'

export interface LoggedRequest {
  method: string
  path: string
  api: Api
  /** Changes state (everything but GETs, getIamPolicy, testIamPermissions and the token endpoint). */
  write: boolean
  status?: number
  body?: unknown
}

export type FaultAction =
  | {kind: 'respond'; status: number; body: unknown}
  /** Close the connection without an answer. */
  | {kind: 'drop'}
  /** Handle the request (its change happens), then close the connection without an answer. */
  | {kind: 'drop-after'}
  /** Another writer changes the project policy just before this request is handled. */
  | {kind: 'concurrent-policy-change'}

export interface Fault {
  match: (r: {method: string; path: string}) => boolean
  action: FaultAction
  /** How many requests it affects (default 1). */
  times?: number
}

const SERVICE_TITLES: Record<string, string> = {
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'iamcredentials.googleapis.com': 'IAM Service Account Credentials API',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'storage.googleapis.com': 'Cloud Storage API',
  'bigquery.googleapis.com': 'BigQuery API',
  'serviceusage.googleapis.com': 'Service Usage API',
  'compute.googleapis.com': 'Compute Engine API',
}
/** Services whose activation needs billing (the bootstrap set needs none). */
const BILLABLE = new Set(['compute.googleapis.com', 'container.googleapis.com', 'dataproc.googleapis.com'])
/** What a console-created project has on by default (of the ones we care about). */
export const CONSOLE_DEFAULT_SERVICES = [
  'bigquery.googleapis.com',
  'storage.googleapis.com',
  'serviceusage.googleapis.com',
]

export const errors = {
  saExists: (name: string, project: string, email: string) =>
    env(409, 'ALREADY_EXISTS', `Service account ${name} already exists within project projects/${project}.`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ResourceInfo',
        resourceName: `projects/${project}/serviceAccounts/${email}`,
      },
    ]),
  saNotFound: () => env(404, 'NOT_FOUND', 'Unknown service account'),
  keyNotFound: () => env(404, 'NOT_FOUND', 'Unknown service account key'),
  iamDenied: (permission: string) =>
    env(403, 'PERMISSION_DENIED', `Permission '${permission}' denied on resource (or it may not exist).`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'iam.googleapis.com',
        metadata: {permission},
      },
    ]),
  crmDenied: () => env(403, 'PERMISSION_DENIED', 'The caller does not have permission'),
  serviceDisabled: (service: string, consumerNumber: string) => {
    const title = SERVICE_TITLES[service] ?? service
    const url = `https://console.developers.google.com/apis/api/${service}/overview?project=${consumerNumber}`
    const message = `${title} has not been used in project ${consumerNumber} before or it is disabled. Enable it by visiting ${url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`
    return env(403, 'PERMISSION_DENIED', message, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'SERVICE_DISABLED',
        domain: 'googleapis.com',
        metadata: {
          service,
          consumer: `projects/${consumerNumber}`,
          serviceTitle: title,
          containerInfo: consumerNumber,
          activationUrl: url,
        },
      },
      {'@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message},
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{description: 'Google developers console API activation', url}],
      },
    ])
  },
  keyCreationBlocked: (project: string, email: string, constraint: string) =>
    env(400, 'FAILED_PRECONDITION', 'Key creation is not allowed on this service account.', [
      {
        '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
        violations: [
          {
            type: constraint,
            subject: `projects/${project}/serviceAccounts/${email}?configvalue=${encodeURIComponent(email)}`,
            description: 'Key creation is not allowed on this service account.',
          },
        ],
      },
    ]),
  tooManyKeys: () => env(400, 'FAILED_PRECONDITION', 'Precondition check failed.'),
  aborted: () =>
    env(
      409,
      'ABORTED',
      'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    ),
  saDoesNotExist: (email: string) => env(400, 'INVALID_ARGUMENT', `Service account ${email} does not exist.`),
  enableDenied: (service: string) =>
    env(403, 'PERMISSION_DENIED', `Permission denied to enable service [${service}]`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'AUTH_PERMISSION_DENIED',
        domain: 'serviceusage.googleapis.com',
      },
    ]),
  billing: (number: string, services: string[]) =>
    env(
      400,
      'FAILED_PRECONDITION',
      `Billing account for project '${number}' is not found. Billing must be enabled for activation of service(s) '${services.join(',')}' to proceed.`,
      [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'UREQ_PROJECT_BILLING_NOT_FOUND',
          domain: 'serviceusage.googleapis.com',
        },
      ],
    ),
  unauthenticated: () =>
    env(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    ),
  invalidArgument: (message: string) => env(400, 'INVALID_ARGUMENT', message),
}

function env(code: number, status: string, message: string, details?: unknown[]): {status: number; body: unknown} {
  return {status: code, body: {error: {code, message, status, ...(details ? {details} : {})}}}
}

class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`)
  }
}
const fail = (e: {status: number; body: unknown}): never => {
  throw new HttpAnswer(e.status, e.body)
}

export interface FakeGcpOptions {
  /** Operations are done after this many operations.get polls (0: done at once). */
  operationPolls?: number
  /** A new account stays invisible to this many reads (404). */
  newAccountHiddenReads?: number
  /** A new account is unknown to this many setIamPolicy calls (400 "does not exist"). */
  newAccountUnknownToPolicy?: number
  /** Delay every answer by this much (ms): a stand-in for the round trip to googleapis.com (benchmarks). */
  latencyMs?: number
}

export class FakeGcp {
  readonly projects = new Map<string, FakeProject>()
  readonly accounts = new Map<string, FakeAccount>()
  readonly requests: LoggedRequest[] = []
  readonly faults: Fault[] = []
  /** Bearer tokens that get 401. */
  readonly expiredTokens = new Set<string>()
  /** Principals (token or service-account email) that get 403 on everything. */
  readonly deniedPrincipals = new Set<string>()
  /** Refresh tokens the token endpoint refuses with invalid_grant. */
  readonly revokedRefreshTokens = new Set<string>()
  private readonly tokens = new Map<string, string>()
  private readonly operations = new Map<string, {project: FakeProject; services: string[]; pollsLeft: number}>()
  private server?: http.Server
  private etagCounter = 1
  private idCounter = 100_000_000_000_000_000_000n
  url = ''

  constructor(readonly options: FakeGcpOptions = {}) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this.url
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  addProject(
    id: string,
    o: {
      number?: string
      services?: string[]
      bindings?: FakeBinding[]
      billing?: boolean
      keyCreationBlockedBy?: string
    } = {},
  ): FakeProject {
    const p: FakeProject = {
      id,
      number: o.number ?? String(100_000_000_000 + this.projects.size + 1),
      policy: {
        version: 1,
        etag: 'ACAB',
        bindings: structuredClone(o.bindings ?? [{role: 'roles/owner', members: ['user:student@example.com']}]),
      },
      services: new Set(o.services ?? CONSOLE_DEFAULT_SERVICES),
      billing: o.billing ?? true,
      keyCreationBlockedBy: o.keyCreationBlockedBy,
    }
    this.projects.set(id, p)
    return p
  }

  inject(fault: Fault): void {
    this.faults.push({times: 1, ...fault})
  }

  /** The requests that changed state. */
  writes(): LoggedRequest[] {
    return this.requests.filter((r) => r.write)
  }

  clearLog(): void {
    this.requests.length = 0
  }

  /** Policy bindings normalised for comparison (etag and version left out). */
  policySnapshot(project: string): FakeBinding[] {
    const p = this.projects.get(project)!
    return structuredClone(p.policy.bindings)
      .map((b) => ({...b, members: [...b.members].sort()}))
      .sort((a, b) => a.role.localeCompare(b.role))
  }

  /** Another tool writes the policy (adds a member to roles/browser) and the etag changes. */
  concurrentPolicyWrite(project: string, member = 'user:colleague@example.com'): void {
    const p = this.projects.get(project)!
    const b = p.policy.bindings.find((x) => x.role === 'roles/browser' && !x.condition)
    if (b) {
      if (!b.members.includes(member)) b.members.push(member)
    } else p.policy.bindings.push({role: 'roles/browser', members: [member]})
    p.policy.etag = this.nextEtag()
  }

  private nextEtag(): string {
    const buf = Buffer.alloc(8)
    buf.writeBigUInt64BE(BigInt(0x07_00_00_00_00_00_00_00) + BigInt(this.etagCounter++))
    return buf.toString('base64')
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = decodeURIComponent(url.pathname)
    const method = req.method ?? 'GET'
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const entry: LoggedRequest = {method, path, api: apiOf(path), write: isWrite(method, path)}
    this.requests.push(entry)
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs))

    const fault = this.faults.find((f) => (f.times ?? 1) > 0 && f.match({method, path}))
    if (fault) {
      fault.times = (fault.times ?? 1) - 1
      if (fault.action.kind === 'drop') {
        entry.status = 0
        req.socket.destroy()
        return
      }
      if (fault.action.kind === 'respond') return this.send(res, entry, fault.action.status, fault.action.body)
      if (fault.action.kind === 'concurrent-policy-change') {
        const m = /^\/v1\/projects\/([^/:]+):/.exec(path)
        if (m && this.projects.has(m[1])) this.concurrentPolicyWrite(m[1])
      }
    }
    try {
      let body: any = {}
      if (raw) {
        body = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(raw))
          : JSON.parse(raw)
      }
      entry.body = entry.api === 'oauth' ? undefined : body
      const out = await this.route(method, path, url.searchParams, body, req.headers)
      if (fault?.action.kind === 'drop-after') {
        entry.status = 0
        req.socket.destroy()
        return
      }
      this.send(res, entry, 200, out)
    } catch (error) {
      if (error instanceof HttpAnswer) this.send(res, entry, error.status, error.body)
      else this.send(res, entry, 500, {error: {code: 500, status: 'INTERNAL', message: String(error)}})
    }
  }

  private send(res: http.ServerResponse, entry: LoggedRequest, status: number, body: unknown): void {
    entry.status = status
    res.writeHead(status, {'content-type': 'application/json; charset=UTF-8'})
    res.end(JSON.stringify(body))
  }

  private principal(headers: http.IncomingHttpHeaders): string {
    const auth = headers.authorization ?? ''
    const m = /^Bearer (.+)$/.exec(auth)
    if (!m) fail(errors.unauthenticated())
    const token = m![1]
    if (this.expiredTokens.has(token)) fail(errors.unauthenticated())
    if (this.tokens.has(token)) return this.tokens.get(token)!
    const parts = token.split('.')
    if (parts.length === 3) {
      // A self-signed JWT (service-account key with useJWTAccessWithScope): trust its issuer.
      try {
        const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {iss?: string}
        if (payload.iss) return payload.iss
      } catch {
        fail(errors.unauthenticated())
      }
    }
    return token
  }

  private project(id: string, permission: string, api: 'iam' | 'crm' | 'serviceusage'): FakeProject {
    const p = this.projects.get(id)
    if (!p)
      fail(api === 'crm' ? errors.crmDenied() : api === 'iam' ? errors.iamDenied(permission) : errors.enableDenied(id))
    return p!
  }

  /** SERVICE_DISABLED is decided by the consumer: x-goog-user-project, else the resource's project. */
  private requireService(headers: http.IncomingHttpHeaders, resource: FakeProject, service: string): void {
    const quota = headers['x-goog-user-project']
    const consumer = (typeof quota === 'string' && this.projects.get(quota)) || resource
    if (!consumer.services.has(service)) fail(errors.serviceDisabled(service, consumer.number))
  }

  private async route(
    method: string,
    path: string,
    q: URLSearchParams,
    body: any,
    headers: http.IncomingHttpHeaders,
  ): Promise<unknown> {
    if (method === 'POST' && path === '/token') return this.token(body)
    const who = this.principal(headers)
    const denied = this.deniedPrincipals.has(who)
    let m: RegExpExecArray | null

    // ---- Service Usage
    if (method === 'GET' && (m = /^\/v1\/operations\/(.+)$/.exec(path))) {
      const name = `operations/${m[1]}`
      const op = this.operations.get(name)
      if (!op) fail(env(404, 'NOT_FOUND', `Operation ${name} not found.`))
      if (op!.pollsLeft > 0) {
        op!.pollsLeft--
        if (op!.pollsLeft > 0)
          return {name, metadata: {'@type': 'type.googleapis.com/google.api.serviceusage.v1.OperationMetadata'}}
      }
      for (const s of op!.services) op!.project.services.add(s)
      return this.doneOperation(name, op!.project, op!.services)
    }
    if (method === 'POST' && (m = /^\/v1\/projects\/([^/:]+)\/services:batchEnable$/.exec(path))) {
      const p = this.project(m[1], 'serviceusage.services.enable', 'serviceusage')
      const ids: string[] = body.serviceIds ?? []
      if (ids.length === 0 || ids.length > 20) fail(errors.invalidArgument('serviceIds must hold 1 to 20 services.'))
      if (denied) fail(errors.enableDenied(ids[0]))
      const billable = ids.filter((s) => BILLABLE.has(s))
      if (billable.length > 0 && !p.billing) fail(errors.billing(p.number, billable))
      for (const s of ids)
        if (!/^[a-z][a-z0-9.-]*\.googleapis\.com$/.test(s))
          fail(errors.invalidArgument(`Service ${s} not found or permission denied.`))
      const missing = ids.filter((s) => !p.services.has(s))
      if (missing.length === 0) return this.doneOperation('operations/noop.DONE_OPERATION', p, ids)
      const name = `operations/acat.p2-${p.number}-${crypto.randomUUID()}`
      const polls = this.options.operationPolls ?? 2
      this.operations.set(name, {project: p, services: ids, pollsLeft: polls})
      if (polls === 0) {
        for (const s of ids) p.services.add(s)
        return this.doneOperation(name, p, ids)
      }
      return {name, metadata: {'@type': 'type.googleapis.com/google.api.serviceusage.v1.OperationMetadata'}}
    }
    if (method === 'GET' && (m = /^\/v1\/projects\/([^/:]+)\/services\/([^/]+)$/.exec(path))) {
      const p = this.project(m[1], 'serviceusage.services.get', 'serviceusage')
      if (denied) fail(errors.iamDenied('serviceusage.services.get'))
      return this.serviceJson(p, m[2])
    }

    // ---- IAM admin v1
    if ((m = /^\/v1\/projects\/([^/]+)\/serviceAccounts(?:\/([^/]+)(?:\/keys(?:\/([^/]+))?)?)?$/.exec(path))) {
      const [, projectId, email, keyId] = m
      const isKeys = path.includes('/keys')
      const account = email ? this.accounts.get(email) : undefined
      const resourceProject =
        projectId === '-' ? (account ? this.projects.get(account.project) : undefined) : this.projects.get(projectId)
      if (projectId !== '-' && !resourceProject) fail(errors.iamDenied('iam.serviceAccounts.get'))
      if (resourceProject) this.requireService(headers, resourceProject, 'iam.googleapis.com')
      if (denied)
        fail(
          errors.iamDenied(
            isKeys
              ? 'iam.serviceAccountKeys.create'
              : method === 'POST'
                ? 'iam.serviceAccounts.create'
                : 'iam.serviceAccounts.get',
          ),
        )
      if (!email) {
        const p = resourceProject!
        if (method === 'POST') return this.createAccount(p, body)
        if (method === 'GET') {
          const accounts = [...this.accounts.values()].filter((a) => a.project === p.id).map((a) => this.accountJson(a))
          return accounts.length ? {accounts} : {}
        }
      }
      // '-' hides a missing account behind a 403, like the real API.
      if (!account || (resourceProject && account.project !== resourceProject.id))
        fail(
          projectId === '-'
            ? errors.iamDenied(isKeys ? 'iam.serviceAccountKeys.create' : 'iam.serviceAccounts.get')
            : errors.saNotFound(),
        )
      const a = account!
      if (a.hiddenReads > 0) {
        a.hiddenReads--
        fail(errors.saNotFound())
      }
      if (!isKeys) {
        if (method === 'GET') return this.accountJson(a)
        if (method === 'DELETE') return this.deleteAccount(a)
      } else if (!keyId) {
        if (method === 'GET') {
          const types = q.getAll('keyTypes')
          const keys =
            types.length === 0 || types.includes('USER_MANAGED')
              ? [...a.keys.values()].map((k) => this.keyJson(a, k))
              : []
          return keys.length ? {keys} : {}
        }
        if (method === 'POST') return this.createKey(a)
      } else {
        const k = a.keys.get(keyId)
        if (!k) fail(errors.keyNotFound())
        if (method === 'GET') return this.keyJson(a, k!)
        if (method === 'DELETE') {
          a.keys.delete(keyId)
          return {}
        }
      }
    }

    // ---- Cloud Resource Manager v1
    if (
      method === 'POST' &&
      (m = /^\/v1\/projects\/([^/:]+):(getIamPolicy|setIamPolicy|testIamPermissions)$/.exec(path))
    ) {
      const p = this.project(m[1], 'resourcemanager.projects.getIamPolicy', 'crm')
      this.requireService(headers, p, 'cloudresourcemanager.googleapis.com')
      if (denied) fail(errors.crmDenied())
      if (m[2] === 'getIamPolicy') return this.policyJson(p, body?.options?.requestedPolicyVersion ?? 1)
      if (m[2] === 'testIamPermissions') return {permissions: body.permissions ?? []}
      return this.setPolicy(p, body)
    }
    if (method === 'GET' && (m = /^\/v1\/projects\/([^/:]+)$/.exec(path))) {
      const p = this.project(m[1], 'resourcemanager.projects.get', 'crm')
      this.requireService(headers, p, 'cloudresourcemanager.googleapis.com')
      return {
        projectNumber: p.number,
        projectId: p.id,
        lifecycleState: 'ACTIVE',
        name: p.id,
        createTime: '2026-01-01T00:00:00.000Z',
      }
    }
    return fail(env(404, 'NOT_FOUND', `The fake does not serve ${method} ${path}.`))
  }

  private token(body: Record<string, string>): unknown {
    let principal: string
    if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token || this.revokedRefreshTokens.has(body.refresh_token)) {
        throw new HttpAnswer(400, {error: 'invalid_grant', error_description: 'Token has been expired or revoked.'})
      }
      principal = `user:${body.client_id ?? 'unknown'}`
    } else if (body.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const payload = JSON.parse(
        Buffer.from(String(body.assertion).split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as {iss?: string}
      principal = payload.iss ?? 'unknown'
    } else {
      throw new HttpAnswer(400, {
        error: 'unsupported_grant_type',
        error_description: `Invalid grant_type: ${body.grant_type}`,
      })
    }
    const access = `ya29.fake-${crypto.randomBytes(12).toString('hex')}`
    this.tokens.set(access, principal)
    return {
      access_token: access,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    }
  }

  private serviceJson(p: FakeProject, service: string): unknown {
    return {
      name: `projects/${p.number}/services/${service}`,
      parent: `projects/${p.number}`,
      config: {name: service, title: SERVICE_TITLES[service] ?? service},
      state: p.services.has(service) ? 'ENABLED' : 'DISABLED',
    }
  }

  private doneOperation(name: string, p: FakeProject, services: string[]): unknown {
    return {
      name,
      done: true,
      metadata: {'@type': 'type.googleapis.com/google.api.serviceusage.v1.OperationMetadata'},
      response: {
        '@type': 'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse',
        services: services.map((s) => this.serviceJson(p, s)),
      },
    }
  }

  private createAccount(p: FakeProject, body: any): unknown {
    const accountId = String(body.accountId ?? '')
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])$/.test(accountId) || accountId.length < 6 || accountId.length > 30) {
      fail(
        errors.invalidArgument(`Invalid account ID ${accountId}. The account ID must be between 6 and 30 characters.`),
      )
    }
    const email = `${accountId}@${p.id}.iam.gserviceaccount.com`
    if (this.accounts.has(email)) fail(errors.saExists(accountId, p.id, email))
    const a: FakeAccount = {
      email,
      project: p.id,
      uniqueId: String(this.idCounter++),
      displayName: body.serviceAccount?.displayName,
      description: body.serviceAccount?.description,
      keys: new Map(),
      hiddenReads: this.options.newAccountHiddenReads ?? 0,
      unknownToPolicy: this.options.newAccountUnknownToPolicy ?? 0,
    }
    this.accounts.set(email, a)
    // The create answer itself is always complete (only later reads lag).
    return this.accountJson(a)
  }

  private accountJson(a: FakeAccount): unknown {
    return {
      name: `projects/${a.project}/serviceAccounts/${a.email}`,
      projectId: a.project,
      uniqueId: a.uniqueId,
      email: a.email,
      displayName: a.displayName,
      description: a.description,
      etag: 'MDEwMjE5MjA=',
      oauth2ClientId: a.uniqueId,
      ...(a.disabled ? {disabled: true} : {}),
    }
  }

  private deleteAccount(a: FakeAccount): unknown {
    this.accounts.delete(a.email)
    // Like Google: bindings of a deleted account stay, renamed deleted:serviceAccount:...?uid=...
    for (const p of this.projects.values()) {
      let touched = false
      for (const b of p.policy.bindings) {
        b.members = b.members.map((m) => {
          if (m !== `serviceAccount:${a.email}`) return m
          touched = true
          return `deleted:serviceAccount:${a.email}?uid=${a.uniqueId}`
        })
      }
      if (touched) p.policy.etag = this.nextEtag()
    }
    return {}
  }

  private createKey(a: FakeAccount): unknown {
    const p = this.projects.get(a.project)!
    if (p.keyCreationBlockedBy) fail(errors.keyCreationBlocked(p.id, a.email, p.keyCreationBlockedBy))
    if (a.keys.size >= 10) fail(errors.tooManyKeys())
    const {privateKey} = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
      publicKeyEncoding: {type: 'spki', format: 'pem'},
    })
    const id = crypto.randomBytes(20).toString('hex')
    const now = new Date()
    const k: FakeKey = {
      name: `projects/${a.project}/serviceAccounts/${a.email}/keys/${id}`,
      id,
      validAfterTime: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      validBeforeTime: '9999-12-31T23:59:59Z',
    }
    a.keys.set(id, k)
    const file = {
      type: 'service_account',
      project_id: a.project,
      private_key_id: id,
      private_key: privateKey,
      client_email: a.email,
      client_id: a.uniqueId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(a.email)}`,
      universe_domain: 'googleapis.com',
    }
    return {
      ...this.keyJson(a, k),
      privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
      privateKeyData: Buffer.from(JSON.stringify(file, null, 2) + '\n').toString('base64'),
    }
  }

  private keyJson(_a: FakeAccount, k: FakeKey): Record<string, unknown> {
    return {
      name: k.name,
      validAfterTime: k.validAfterTime,
      validBeforeTime: k.validBeforeTime,
      keyAlgorithm: 'KEY_ALG_RSA_2048',
      keyOrigin: 'GOOGLE_PROVIDED',
      keyType: 'USER_MANAGED',
      ...(k.disabled ? {disabled: true} : {}),
    }
  }

  private policyJson(p: FakeProject, requested: number): unknown {
    const hasConditions = p.policy.bindings.some((b) => b.condition)
    const bindings = structuredClone(p.policy.bindings).map((b) => {
      if (b.condition && requested < 3) {
        const hash = crypto.createHash('sha1').update(JSON.stringify(b.condition)).digest('hex').slice(0, 20)
        return {role: `${b.role}_withcond_${hash}`, members: b.members}
      }
      return b
    })
    return {version: hasConditions && requested >= 3 ? 3 : 1, etag: p.policy.etag, bindings}
  }

  private setPolicy(p: FakeProject, body: any): unknown {
    const policy = body.policy ?? {}
    if (policy.etag !== undefined && policy.etag !== p.policy.etag) fail(errors.aborted())
    const bindings: FakeBinding[] = policy.bindings ?? []
    for (const b of bindings) {
      if (
        typeof b.role !== 'string' ||
        !/^(roles|projects\/[^/]+\/roles|organizations\/\d+\/roles)\/[A-Za-z0-9_.]+$/.test(b.role)
      ) {
        fail(errors.invalidArgument(`Role ${b.role} is not supported for this resource.`))
      }
      if (b.condition && (policy.version ?? 1) < 3) fail(errors.invalidArgument('Conditions require policy version 3.'))
      for (const m of b.members ?? []) {
        const sa = /^serviceAccount:(.+\.iam\.gserviceaccount\.com)$/.exec(m)
        if (!sa) continue
        const a = this.accounts.get(sa[1])
        if (!a) fail(errors.saDoesNotExist(sa[1]))
        if (a!.unknownToPolicy > 0) {
          a!.unknownToPolicy--
          fail(errors.saDoesNotExist(sa[1]))
        }
      }
    }
    p.policy = {
      version: bindings.some((b) => b.condition) ? 3 : 1,
      etag: this.nextEtag(),
      bindings: structuredClone(bindings).filter((b) => (b.members ?? []).length > 0),
    }
    return this.policyJson(p, 3)
  }
}

function apiOf(path: string): Api {
  if (path === '/token') return 'oauth'
  if (path.includes('/serviceAccounts')) return 'iam'
  if (path.startsWith('/v1/operations/') || path.includes('/services')) return 'serviceusage'
  if (path.startsWith('/v1/projects/')) return 'crm'
  return 'unknown'
}

function isWrite(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false
  if (path === '/token') return false
  if (/:(getIamPolicy|testIamPermissions)$/.test(path)) return false
  return true
}
