/**
 * Who dezc calls Google as. Order (the same as terraform's google provider):
 *   1. GOOGLE_OAUTH_ACCESS_TOKEN: a ready access token (e.g. `gcloud auth print-access-token`);
 *   2. Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, else the gcloud ADC file
 *      ($CLOUDSDK_CONFIG or ~/.config/gcloud)/application_default_credentials.json.
 * No metadata-server probing: dezc runs on laptops, and the probe costs a second or more.
 * google-auth-library is imported lazily; the token endpoint follows the API root (tests, private
 * endpoints), so an ADC refresh never leaves the configured base URL.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import os from 'node:os'
import type {AuthClient} from 'google-auth-library'
import {DezcError, ExitCode} from '../core/errors.js'

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform'

export type CredentialSource = 'GOOGLE_OAUTH_ACCESS_TOKEN' | 'GOOGLE_APPLICATION_CREDENTIALS' | 'gcloud ADC file'

export interface ResolvedAuth {
  client: AuthClient
  source: CredentialSource
  /** authorized_user, service_account, impersonated_service_account, external_account, access_token */
  type: string
  /** Who we act as, when the credential says (never a secret). */
  principal?: string
  /** The credential is a service-account key: its client_email. */
  serviceAccountEmail?: string
  /** x-goog-user-project: the project API calls are billed/quota'd to. */
  quotaProject?: string
  /** Path of the credential file, when one was used. */
  file?: string
}

export interface AuthOptions {
  env?: NodeJS.ProcessEnv
  /** Base URL replacing every Google host (the OAuth token endpoint included). */
  apiRoot?: string
}

export function adcFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CLOUDSDK_CONFIG || path.join(env.HOME || os.homedir(), '.config', 'gcloud')
  return path.join(dir, 'application_default_credentials.json')
}

/** The ADC file's quota project (or GOOGLE_CLOUD_QUOTA_PROJECT), without creating a client. */
export async function adcQuotaProject(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.GOOGLE_CLOUD_QUOTA_PROJECT) return env.GOOGLE_CLOUD_QUOTA_PROJECT
  const file = env.GOOGLE_APPLICATION_CREDENTIALS || adcFilePath(env)
  const json = await readJson(file).catch(() => undefined)
  if (!json) return undefined
  return typeof json.quota_project_id === 'string' && json.quota_project_id ? json.quota_project_id : undefined
}

/** Where GOOGLE_APPLICATION_CREDENTIALS points at a service-account key: that account's email. */
export async function gacServiceAccount(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const file = env.GOOGLE_APPLICATION_CREDENTIALS
  if (!file) return undefined
  const json = await readJson(file).catch(() => undefined)
  return json?.type === 'service_account' && typeof json.client_email === 'string' ? json.client_email : undefined
}

async function readJson(file: string): Promise<Record<string, any>> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, any>
}

function noCredentials(): DezcError {
  return new DezcError({
    code: 'NO_CREDENTIALS',
    message:
      'No Google credentials found: GOOGLE_OAUTH_ACCESS_TOKEN is not set and there is no Application Default Credentials file.',
    suggestion: [
      'Log in as yourself: `gcloud auth application-default login` (then re-run).',
      'Or pass a token: GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token) dezc gcp ...',
    ],
    exit: ExitCode.PREREQUISITE,
  })
}

export async function resolveAuth(options: AuthOptions = {}): Promise<ResolvedAuth> {
  const env = options.env ?? process.env
  const gal = await import('google-auth-library')
  const quotaFromEnv = env.GOOGLE_CLOUD_QUOTA_PROJECT || undefined
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim()
  if (token) {
    const client = new gal.OAuth2Client()
    // A fixed expiry in the future: the library never tries to refresh a token it cannot refresh.
    client.setCredentials({access_token: token, expiry_date: Date.now() + 3600_000, token_type: 'Bearer'})
    if (quotaFromEnv) client.quotaProjectId = quotaFromEnv
    return {client, source: 'GOOGLE_OAUTH_ACCESS_TOKEN', type: 'access_token', quotaProject: quotaFromEnv}
  }

  const fromEnv = env.GOOGLE_APPLICATION_CREDENTIALS
  const file = fromEnv || adcFilePath(env)
  const source: CredentialSource = fromEnv ? 'GOOGLE_APPLICATION_CREDENTIALS' : 'gcloud ADC file'
  let json: Record<string, any>
  try {
    json = await readJson(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (!fromEnv && code === 'ENOENT') throw noCredentials()
    throw new DezcError({
      code: 'BAD_CREDENTIALS_FILE',
      message: `Cannot use the credentials file ${file}${fromEnv ? ' (from GOOGLE_APPLICATION_CREDENTIALS)' : ''}: ${code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`,
      suggestion: fromEnv
        ? 'Fix or unset GOOGLE_APPLICATION_CREDENTIALS, then `gcloud auth application-default login`.'
        : 'Run `gcloud auth application-default login` again.',
      exit: ExitCode.PREREQUISITE,
    })
  }
  const quotaProject = quotaFromEnv ?? (typeof json.quota_project_id === 'string' ? json.quota_project_id : undefined)
  const tokenUrl = options.apiRoot ? `${options.apiRoot.replace(/\/+$/, '')}/token` : undefined
  const endpoints = tokenUrl ? {oauth2TokenUrl: tokenUrl} : undefined

  if (json.type === 'authorized_user') {
    const client = new gal.UserRefreshClient({
      clientId: json.client_id,
      clientSecret: json.client_secret,
      refreshToken: json.refresh_token,
      endpoints,
    })
    if (quotaProject) client.quotaProjectId = quotaProject
    return {
      client,
      source,
      type: 'authorized_user',
      principal: typeof json.account === 'string' && json.account ? json.account : undefined,
      quotaProject,
      file,
    }
  }
  if (json.type === 'service_account') {
    const client = new gal.JWT({
      email: json.client_email,
      key: json.private_key,
      keyId: json.private_key_id,
      scopes: [CLOUD_PLATFORM_SCOPE],
      endpoints,
    })
    // gtoken ignores custom token endpoints; with an API root, sign our own access JWTs instead.
    if (options.apiRoot) client.useJWTAccessWithScope = true
    if (quotaProject) client.quotaProjectId = quotaProject
    return {
      client,
      source,
      type: 'service_account',
      principal: json.client_email,
      serviceAccountEmail: json.client_email,
      quotaProject,
      file,
    }
  }
  if (typeof json.type === 'string') {
    // impersonated_service_account, external_account, ...: let the library build the client.
    const auth = new gal.GoogleAuth({
      credentials: json as any,
      scopes: [CLOUD_PLATFORM_SCOPE],
      projectId: quotaProject ?? 'unused',
      clientOptions: endpoints ? {endpoints} : undefined,
    })
    const client = (await auth.getClient()) as AuthClient
    const impersonated =
      typeof json.service_account_impersonation_url === 'string'
        ? /serviceAccounts\/([^:]+):/.exec(json.service_account_impersonation_url)?.[1]
        : undefined
    return {client, source, type: json.type, principal: impersonated, quotaProject, file}
  }
  throw new DezcError({
    code: 'BAD_CREDENTIALS_FILE',
    message: `The credentials file ${file} has no "type"; it is not a Google credentials file.`,
    suggestion: 'Run `gcloud auth application-default login` again.',
    exit: ExitCode.PREREQUISITE,
  })
}

export function describeAuth(a: ResolvedAuth): string {
  const who = a.principal ? ` as ${a.principal}` : ''
  return `${a.source} (${a.type}${who}${a.quotaProject ? `, quota project ${a.quotaProject}` : ''})`
}
