/** Defaults, identifier rules and timing for the gcp topic (no I/O, no heavy imports). */
import {usageError} from '../core/errors.js'
import {gcpTimeScale} from '../core/test-knobs.js'

export const DEFAULT_APIS = ['iam', 'iamcredentials', 'cloudresourcemanager', 'storage', 'bigquery']
export const DEFAULT_ROLES = [
  'roles/viewer',
  'roles/storage.admin',
  'roles/storage.objectAdmin',
  'roles/bigquery.admin',
]
export const DEFAULT_SA_NAME = 'dezc-sa'
export const DEFAULT_KEY_DIR = '~/.gc'
/** Written into the account's description so teardown (and people in the console) can tell who made it. */
export const SA_DESCRIPTION = 'Created by dezc gcp bootstrap (Data Engineering Zoomcamp).'
export const SA_DISPLAY_NAME = 'dezc (Data Engineering Zoomcamp)'

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/
const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/

export function validateProjectId(id: string): string {
  if (PROJECT_ID.test(id)) return id
  const hint = /\s|[A-Z]/.test(id)
    ? 'That looks like a project *name*; dezc needs the project ID (lowercase, e.g. "my-zoomcamp-123456"). `gcloud projects list` shows both.'
    : 'A project ID is 6-30 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen. `gcloud projects list` shows yours.'
  throw usageError('INVALID_PROJECT_ID', `"${id}" is not a valid Google Cloud project ID.`, hint)
}

export function validateAccountId(id: string): string {
  if (id.length >= 6 && id.length <= 30 && ACCOUNT_ID.test(id)) return id
  throw usageError(
    'INVALID_ACCOUNT_ID',
    `"${id}" is not a valid service account name.`,
    'Use 6-30 characters: lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit (e.g. --sa-name dezc-sa).',
  )
}

/** "iam" -> "iam.googleapis.com"; full names pass through. */
export function serviceName(api: string): string {
  const a = api.trim()
  if (!/^[a-z][a-z0-9.-]*$/.test(a))
    throw usageError(
      'INVALID_API',
      `"${api}" is not a Google API service name.`,
      'Use names like iam, storage or bigquery.googleapis.com.',
    )
  return a.includes('.') ? a : `${a}.googleapis.com`
}

export function normaliseRole(role: string): string {
  const r = role.trim()
  const full = r.startsWith('roles/') || r.startsWith('projects/') || r.startsWith('organizations/') ? r : `roles/${r}`
  if (!/^(roles|projects\/[a-z0-9-]+\/roles|organizations\/\d+\/roles)\/[A-Za-z0-9_.]+$/.test(full)) {
    throw usageError(
      'INVALID_ROLE',
      `"${role}" is not an IAM role name.`,
      'Use names like roles/storage.admin (or storage.admin).',
    )
  }
  return full
}

export function saEmail(name: string, project: string): string {
  return `${name}@${project}.iam.gserviceaccount.com`
}

/** Retry and polling delays are real seconds in production (the DEZC_GCP_TIME_SCALE test knob shrinks them). */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  return gcpTimeScale(env)
}

/** For prompts: true when the answer is a valid project ID, else the reason. */
export function projectIdProblem(answer: string): string | true {
  try {
    validateProjectId(answer.trim())
    return true
  } catch (error) {
    return (error as Error).message
  }
}
