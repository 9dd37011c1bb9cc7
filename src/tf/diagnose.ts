/**
 * Turn a failed terraform run into a message that says what is wrong and what to do, by
 * recognising the provider's error texts (Google API errors relayed by the google provider).
 * The texts are the ones users actually hit in the course (see docs/tf.md).
 */
import {DezcError, ExitCode, type ErrorCode, type ExitCodeValue} from '../core/errors.js'

export interface DiagnoseContext {
  /** terraform subcommand that failed: init, plan, apply, destroy. */
  step: string
  dir: string
  project?: string
  bucket?: string
  dataset?: string
}

interface Rule {
  code: ErrorCode
  exit: ExitCodeValue
  test: RegExp
  message: (m: RegExpMatchArray, out: string, ctx: DiagnoseContext) => string
  suggestion: (m: RegExpMatchArray, out: string, ctx: DiagnoseContext) => string[]
}

const p = (ctx: DiagnoseContext) => ctx.project ?? '<project-id>'

const RULES: Rule[] = [
  {
    code: 'TF_NO_CREDENTIALS',
    exit: ExitCode.PREREQUISITE,
    test: /could not find default credentials|No credentials loaded|Attempted to load application default credentials/i,
    message: () => 'terraform found no Google credentials.',
    suggestion: (_m, _o, ctx) => [
      `Create a service-account key with: dezc gcp bootstrap --project ${p(ctx)} (dezc tf then uses it automatically)`,
      'Or log in for Application Default Credentials: gcloud auth application-default login',
    ],
  },
  {
    code: 'TF_CREDENTIALS_INVALID',
    exit: ExitCode.PREREQUISITE,
    test: /invalid_grant|invalid_rapt|Invalid JWT Signature|oauth2: cannot fetch token/i,
    message: () => 'Google rejected the credentials (expired login, or a deleted or rotated key).',
    suggestion: (_m, _o, ctx) => [
      `Re-create the key: dezc gcp bootstrap --project ${p(ctx)}`,
      'Or log in again: gcloud auth application-default login',
    ],
  },
  {
    code: 'TF_QUOTA_PROJECT',
    exit: ExitCode.PREREQUISITE,
    test: /requires a quota project|Cannot find a quota project|USER_PROJECT_DENIED|quota project .* (?:is not|was not) (?:set|found)/i,
    message: () => 'Your Application Default Credentials have no (usable) quota project.',
    suggestion: (_m, _o, ctx) => [
      `gcloud auth application-default set-quota-project ${p(ctx)}`,
      `Or use a service-account key: dezc gcp bootstrap --project ${p(ctx)}`,
    ],
  },
  {
    code: 'TF_BILLING_DISABLED',
    exit: ExitCode.PREREQUISITE,
    test: /billing account for the owning project is disabled|Billing has not been enabled|billingNotEnabled|BILLING_DISABLED|Billing must be enabled|billing account for project .* is not found|accountDisabled/i,
    message: (_m, _o, ctx) => `Billing is not enabled for project ${p(ctx)}.`,
    suggestion: (_m, _o, ctx) => [
      `Link a billing account: https://console.cloud.google.com/billing/linkedaccount?project=${p(ctx)}`,
      `Or: gcloud billing projects link ${p(ctx)} --billing-account=<ACCOUNT_ID>  (list accounts: gcloud billing accounts list)`,
    ],
  },
  {
    code: 'TF_API_DISABLED',
    exit: ExitCode.PREREQUISITE,
    test: /(?:API has not been used in project (\d+) before or it is disabled|SERVICE_DISABLED|accessNotConfigured)/i,
    message: (m, out) => {
      const api = out.match(/apis\/api\/([a-z0-9.-]+)\//i)?.[1] ?? out.match(/"service":\s*"([a-z0-9.-]+)"/i)?.[1]
      return `A Google API ${api ? `(${api}) ` : ''}is disabled${m[1] ? ` in project ${m[1]}` : ''}.`
    },
    suggestion: (_m, out, ctx) => {
      const api = out.match(/apis\/api\/([a-z0-9.-]+)\//i)?.[1] ?? out.match(/"service":\s*"([a-z0-9.-]+)"/i)?.[1]
      const url = out.match(
        /https:\/\/console\.(?:developers|cloud)\.google\.com\/apis\/api\/\S+?overview\?project=\d+/,
      )?.[0]
      return [
        `gcloud services enable ${api ?? 'storage.googleapis.com bigquery.googleapis.com'} --project ${p(ctx)}   (or: dezc gcp bootstrap)`,
        ...(url ? [`Or enable it in the console: ${url}`] : []),
        'Just enabled it? Wait a few minutes and retry. (The number in the message is the project that pays for the call: your quota project.)',
      ]
    },
  },
  {
    code: 'TF_BUCKET_NAME_TAKEN',
    exit: ExitCode.FAILURE,
    test: /Error 409: The requested bucket name is not available|BucketNameUnavailable/i,
    message: (_m, _o, ctx) =>
      `The bucket name ${ctx.bucket ? `"${ctx.bucket}" ` : ''}is already taken: bucket names are global across all of Cloud Storage.`,
    suggestion: (_m, _o, ctx) => [
      `Choose another name: dezc tf init --dir ${ctx.dir} --bucket <project>-<something-unique>, then run this again.`,
    ],
  },
  {
    code: 'TF_BUCKET_ALREADY_YOURS',
    exit: ExitCode.FAILURE,
    test: /Your previous request to create the named bucket succeeded and you already own it/i,
    message: (_m, _o, ctx) =>
      `The bucket ${ctx.bucket ? `"${ctx.bucket}" ` : ''}already exists in your account but is not in this directory's terraform state.`,
    suggestion: (_m, _o, ctx) => [
      `Adopt it: cd ${ctx.dir} && terraform import google_storage_bucket.data_lake ${ctx.bucket ?? '<bucket>'}`,
      'Or delete it, or choose another --bucket with dezc tf init.',
    ],
  },
  {
    code: 'TF_DATASET_NOT_EMPTY',
    exit: ExitCode.FAILURE,
    test: /Dataset \S+ is still in use|resourceInUse/i,
    message: (_m, _o, ctx) =>
      `The BigQuery dataset ${ctx.dataset ? `"${ctx.dataset}" ` : ''}still has tables, so it cannot be deleted.`,
    suggestion: (_m, _o, ctx) => [
      `Delete the tables first (bq rm -r -f -d ${p(ctx)}:${ctx.dataset ?? '<dataset>'} deletes the dataset with its tables), or`,
      `set bq_delete_contents_on_destroy = true in ${ctx.dir}/terraform.tfvars, run dezc tf apply, then dezc tf destroy again.`,
    ],
  },
  {
    code: 'TF_DATASET_EXISTS',
    exit: ExitCode.FAILURE,
    test: /Error 409: Already Exists: Dataset/i,
    message: (_m, _o, ctx) =>
      `The BigQuery dataset ${ctx.dataset ? `"${ctx.dataset}" ` : ''}already exists but is not in this directory's terraform state.`,
    suggestion: (_m, _o, ctx) => [
      `Adopt it: cd ${ctx.dir} && terraform import google_bigquery_dataset.dataset projects/${p(ctx)}/datasets/${ctx.dataset ?? '<dataset>'}`,
      'Or choose another --dataset with dezc tf init.',
    ],
  },
  {
    code: 'TF_PERMISSION_DENIED',
    exit: ExitCode.PREREQUISITE,
    test: /Error 403|PERMISSION_DENIED|does not have [\w.]+ access|Permission '[\w.]+' denied/i,
    message: (_m, out) => {
      const perm = out.match(/does not have ([\w.]+) access/)?.[1] ?? out.match(/Permission '([\w.]+)' denied/)?.[1]
      return `Permission denied${perm ? ` (${perm})` : ''}: the credentials terraform used may not change this project.`
    },
    suggestion: (_m, _o, ctx) => [
      `Give the service account the course roles (Storage Admin, BigQuery Admin): dezc gcp bootstrap --project ${p(ctx)}`,
      'Check the project id in terraform.tfvars, and which identity is used (GOOGLE_APPLICATION_CREDENTIALS wins over gcloud login).',
    ],
  },
  {
    // Another terraform run (or one that was killed) holds the state lock; terraform waits 0 s by default.
    code: 'TF_STATE_LOCKED',
    exit: ExitCode.FAILURE,
    test: /Error acquiring the state lock/i,
    message: (_m, out, ctx) => {
      const info = lockInfo(out)
      const holder = [info.operation?.replace(/^OperationType/, '').toLowerCase(), info.who && `by ${info.who}`]
        .filter(Boolean)
        .join(' ')
      return `the terraform state in ${ctx.dir} is locked by another terraform run${holder ? ` (${holder}${info.created ? ` since ${info.created}` : ''})` : ''}.`
    },
    suggestion: (_m, out, ctx) => [
      'Wait for that run to finish, then retry.',
      `If no terraform is running any more (it was killed), release the lock: cd ${ctx.dir} && terraform force-unlock ${lockInfo(out).id ?? '<lock-id>'}`,
    ],
  },
  {
    code: 'TF_NOT_INITIALIZED',
    exit: ExitCode.FAILURE,
    test: /please run "terraform init"|Inconsistent dependency lock file|Required plugins are not installed|Module not installed/i,
    message: () => 'The terraform working directory needs (re-)initialising.',
    suggestion: (_m, _o, ctx) => [
      `Run: dezc tf init --dir ${ctx.dir}   (or: cd ${ctx.dir} && terraform init -upgrade)`,
    ],
  },
  {
    code: 'TF_REGISTRY_UNREACHABLE',
    exit: ExitCode.PREREQUISITE,
    test: /Failed to query available provider packages|could not connect to registry\.terraform\.io|Failed to install provider/i,
    message: () => 'terraform could not download the google provider.',
    suggestion: () => [
      'Check the network connection to registry.terraform.io and releases.hashicorp.com (a proxy needs HTTPS_PROXY).',
    ],
  },
]

/** The "Lock Info:" block terraform prints with a state-lock error. */
function lockInfo(output: string): {id?: string; operation?: string; who?: string; created?: string} {
  const field = (name: string) => output.match(new RegExp(`^[│\\s]*${name}:[ \\t]+(\\S.*?)\\s*$`, 'm'))?.[1]
  return {
    id: field('ID'),
    operation: field('Operation'),
    who: field('Who'),
    created: field('Created')?.replace(/\.\d+/, ''),
  }
}

/** The first `Error:` line terraform printed, for the generic message. */
export function firstErrorLine(output: string): string | undefined {
  const line = output
    .split('\n')
    .map((l) => l.replace(/^[│╷╵\s]+/, '').trim())
    .find((l) => l.startsWith('Error:'))
  return line?.replace(/^Error:\s*/, '')
}

export function diagnose(output: string, exitCode: number, ctx: DiagnoseContext): DezcError {
  for (const rule of RULES) {
    const m = output.match(rule.test)
    if (m) {
      return new DezcError({
        code: rule.code,
        message: `terraform ${ctx.step} failed: ${rule.message(m, output, ctx)}`,
        suggestion: rule.suggestion(m, output, ctx),
        exit: rule.exit,
        details: {step: ctx.step, terraformExit: exitCode, terraformError: firstErrorLine(output)},
      })
    }
  }
  const first = firstErrorLine(output)
  return new DezcError({
    code: 'TF_FAILED',
    message: `terraform ${ctx.step} failed (exit ${exitCode})${first ? `: ${first}` : '.'}`,
    suggestion: [`Read terraform's output above; to retry by hand: cd ${ctx.dir} && terraform ${ctx.step}`],
    exit: ExitCode.FAILURE,
    details: {step: ctx.step, terraformExit: exitCode, terraformError: first},
  })
}
