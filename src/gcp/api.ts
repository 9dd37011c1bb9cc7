/**
 * The few Google REST calls dezc needs, through the `@googleapis/*` apiary clients (IAM admin v1,
 * Cloud Resource Manager v1, Service Usage v1). They share googleapis-common/gaxios, so they share
 * one error shape and one `rootUrl` option: with an API root every call goes to that base URL and
 * keeps its real path. The clients are imported lazily (they are large).
 */
import type {AuthClient} from 'google-auth-library'
import type {Policy} from './policy.js'

export interface ServiceAccount {
  name?: string | null
  email?: string | null
  uniqueId?: string | null
  projectId?: string | null
  displayName?: string | null
  description?: string | null
  disabled?: boolean | null
}

export interface ServiceAccountKey {
  name?: string | null
  keyType?: string | null
  validAfterTime?: string | null
  validBeforeTime?: string | null
  privateKeyData?: string | null
  disabled?: boolean | null
}

export interface Operation {
  name?: string | null
  done?: boolean | null
  error?: {code?: number | null; message?: string | null} | null
  response?: {
    services?: Array<{name?: string | null; state?: string | null}>
    failures?: Array<{serviceId?: string | null; errorMessage?: string | null}>
  } | null
}

export interface GcpApi {
  /** The service's state, and the project number its name carries. */
  serviceState(project: string, service: string): Promise<{state: string; projectNumber?: string}>
  batchEnable(project: string, services: string[]): Promise<Operation>
  getOperation(name: string): Promise<Operation>
  getServiceAccount(project: string, email: string): Promise<ServiceAccount>
  createServiceAccount(
    project: string,
    accountId: string,
    displayName: string,
    description: string,
  ): Promise<ServiceAccount>
  deleteServiceAccount(project: string, email: string): Promise<void>
  listKeys(project: string, email: string): Promise<ServiceAccountKey[]>
  createKey(email: string): Promise<ServiceAccountKey>
  deleteKey(keyName: string): Promise<void>
  getIamPolicy(project: string): Promise<Policy>
  setIamPolicy(project: string, policy: Policy): Promise<Policy>
}

export interface ApiOptions {
  auth: AuthClient
  /** e.g. http://127.0.0.1:8080 — replaces every googleapis.com host, keeping paths. */
  apiRoot?: string
  signal?: AbortSignal
}

export async function createApi(options: ApiOptions): Promise<GcpApi> {
  const [{iam}, {cloudresourcemanager}, {serviceusage}] = await Promise.all([
    import('@googleapis/iam'),
    import('@googleapis/cloudresourcemanager'),
    import('@googleapis/serviceusage'),
  ])
  const rootUrl = options.apiRoot ? options.apiRoot.replace(/\/+$/, '') + '/' : undefined
  const common = {
    auth: options.auth as any,
    ...(rootUrl ? {rootUrl} : {}),
    timeout: 60_000,
    ...(options.signal ? {signal: options.signal} : {}),
  }
  const iamV1 = iam({version: 'v1', ...common})
  const crm = cloudresourcemanager({version: 'v1', ...common})
  const su = serviceusage({version: 'v1', ...common})
  const sa = (project: string, email: string) => `projects/${project}/serviceAccounts/${email}`

  return {
    async serviceState(project, service) {
      const res = await su.services.get({name: `projects/${project}/services/${service}`})
      return {
        state: res.data.state ?? 'STATE_UNSPECIFIED',
        projectNumber: /^projects\/(\d+)\//.exec(res.data.name ?? '')?.[1],
      }
    },
    async batchEnable(project, services) {
      const res = await su.services.batchEnable({parent: `projects/${project}`, requestBody: {serviceIds: services}})
      return res.data as Operation
    },
    async getOperation(name) {
      const res = await su.operations.get({name})
      return res.data as Operation
    },
    async getServiceAccount(project, email) {
      return (await iamV1.projects.serviceAccounts.get({name: sa(project, email)})).data
    },
    async createServiceAccount(project, accountId, displayName, description) {
      const res = await iamV1.projects.serviceAccounts.create({
        name: `projects/${project}`,
        requestBody: {accountId, serviceAccount: {displayName, description}},
      })
      return res.data
    },
    async deleteServiceAccount(project, email) {
      await iamV1.projects.serviceAccounts.delete({name: sa(project, email)})
    },
    async listKeys(project, email) {
      const res = await iamV1.projects.serviceAccounts.keys.list({name: sa(project, email), keyTypes: ['USER_MANAGED']})
      return res.data.keys ?? []
    },
    async createKey(email) {
      const res = await iamV1.projects.serviceAccounts.keys.create({
        name: `projects/-/serviceAccounts/${email}`,
        requestBody: {privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE', keyAlgorithm: 'KEY_ALG_RSA_2048'},
      })
      return res.data
    },
    async deleteKey(keyName) {
      await iamV1.projects.serviceAccounts.keys.delete({name: keyName})
    },
    async getIamPolicy(project) {
      const res = await crm.projects.getIamPolicy({
        resource: project,
        requestBody: {options: {requestedPolicyVersion: 3}},
      })
      return res.data as Policy
    },
    async setIamPolicy(project, policy) {
      const res = await crm.projects.setIamPolicy({
        resource: project,
        requestBody: {policy: {...(policy as any), version: 3}, updateMask: 'bindings,etag'},
      })
      return res.data as Policy
    },
  }
}
