/**
 * BigQuery through Google's own client (@google-cloud/bigquery 8, the last line that runs on
 * Node 20; imported at point of use) with dezc's credential (GOOGLE_OAUTH_ACCESS_TOKEN, else ADC,
 * resolved like `dezc gcp`) and an endpoint override (`apiEndpoint`: the client then calls
 * <root>/bigquery/v2/... and still sends the credential). Jobs are created with a location and
 * polled by dezc until DONE; a failed job and a refused request both become DezcErrors here.
 */
import {roleForPermission, roleLabel, type NeededRole} from '../gcp/roles.js'
import type {BigQuery, Job} from '@google-cloud/bigquery'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from '../core/errors.js'
import {sleep} from '../core/sleep.js'
import {resolveAuth} from '../gcp/auth.js'

export interface BqClient {
  bq: BigQuery
  project: string
  endpoint: string
}

export async function openBigQuery(o: {project: string; apiRoot?: string; env?: NodeJS.ProcessEnv}): Promise<BqClient> {
  const auth = await resolveAuth({env: o.env, apiRoot: o.apiRoot})
  const {BigQuery} = await import('@google-cloud/bigquery')
  const bq = new BigQuery({
    projectId: o.project,
    // dezc's google-auth-library client (10.5) serves the library's (10.9) GoogleAuth wrapper.
    authClient: auth.client as never,
    ...(o.apiRoot ? {apiEndpoint: o.apiRoot} : {}),
  })
  return {bq, project: o.project, endpoint: o.apiRoot ?? 'https://bigquery.googleapis.com'}
}

interface ApiErrorLike {
  code?: unknown
  message?: string
  errors?: Array<{reason?: string; message?: string; location?: string}>
  response?: {status?: JobStatus; jobReference?: {jobId?: string}}
}

interface JobStatus {
  state?: string
  errorResult?: {reason?: string; message?: string; location?: string}
  errors?: Array<{reason?: string; message?: string; location?: string}>
}

export interface ErrorContext {
  /** "reading the dataset trips_data_all", "running the load job for 2021-01", ... */
  action: string
  endpoint: string
  project: string
  bqDataset?: string
  /** The request was a query the user wrote (a 400 is then their SQL's problem). */
  userQuery?: boolean
}

function permissionHint(ctx: ErrorContext, role?: NeededRole): string[] {
  if (role)
    return [
      `Grant the account ${roleLabel(role)} on ${ctx.project}: gcloud projects add-iam-policy-binding ${ctx.project} --member=serviceAccount:ACCOUNT --role=${role.role} (roles/bigquery.admin, which dezc gcp bootstrap grants, includes it).`,
    ]
  return [
    `Grant the account BigQuery Data Editor and BigQuery Job User on ${ctx.project} (or roles/bigquery.admin, which dezc gcp bootstrap grants).`,
  ]
}

/** The permission a 403 names ("User does not have bigquery.jobs.create permission in project p"). */
export function deniedPermission(message: string): string | undefined {
  return /\b(bigquery\.[a-zA-Z]+\.[a-zA-Z]+)\b/.exec(message)?.[1]
}

/** A BigQuery failure (an HTTP error or a failed job's errorResult) as a DezcError. */
export function bqError(e: unknown, ctx: ErrorContext, jobId?: string): DezcError {
  if (e instanceof DezcError) return e
  const x = e as ApiErrorLike
  const status = typeof x?.code === 'number' ? x.code : undefined
  const reason = x?.response?.status?.errorResult?.reason ?? x?.errors?.[0]?.reason
  const msg = (x?.response?.status?.errorResult?.message ?? x?.errors?.[0]?.message ?? errorMessage(e)).split('\n')[0]
  const job = jobId ?? x?.response?.jobReference?.jobId
  const details = {...(job ? {jobId: job} : {}), ...(reason ? {reason} : {}), ...(status ? {status} : {})}
  if (/different locations|Dataset \S+ was not found in location/i.test(msg)) {
    return new DezcError({
      code: 'BQ_LOCATION_MISMATCH',
      message: `BigQuery refused ${ctx.action}: ${msg}`,
      suggestion: [
        'Keep the bucket and the dataset in one location: dezc tf sets both from `location`.',
        'Or name a dataset in the bucket location with --bq-dataset.',
      ],
      exit: ExitCode.FAILURE,
      details,
    })
  }
  if (reason === 'billingNotEnabled' || /billing has not been enabled/i.test(msg)) {
    return new DezcError({
      code: 'BILLING_NOT_ENABLED',
      message: `BigQuery refused ${ctx.action}: ${msg}`,
      suggestion: [
        'The BigQuery sandbox (no billing account) allows no DML; dezc bq load replaces months with DML. Link a billing account to the project (the free tier still applies).',
      ],
      exit: ExitCode.PREREQUISITE,
      details,
    })
  }
  if (status === 401) {
    return new DezcError({
      code: 'NOT_AUTHENTICATED',
      message: `BigQuery rejected the credentials while ${ctx.action} (401: ${msg}).`,
      suggestion: [
        'The token may have expired: gcloud auth application-default login (or a fresh GOOGLE_OAUTH_ACCESS_TOKEN).',
      ],
      exit: ExitCode.PREREQUISITE,
      details,
    })
  }
  if (/has not been used in project|is disabled/i.test(msg) && (status === 403 || reason === 'accessDenied')) {
    return new DezcError({
      code: 'SERVICE_DISABLED',
      message: `The BigQuery API is not enabled (${msg}).`,
      suggestion: [`Enable it: gcloud services enable bigquery.googleapis.com --project ${ctx.project}`],
      exit: ExitCode.PREREQUISITE,
      details,
    })
  }
  if (status === 403 || reason === 'accessDenied') {
    const permission = deniedPermission(msg)
    const role = permission ? roleForPermission(permission) : undefined
    return new DezcError({
      code: 'PERMISSION_DENIED',
      message: `Permission denied while ${ctx.action}${role ? `: the account lacks ${role.title} (${permission})` : ''} (${msg}).`,
      suggestion: permissionHint(ctx, role),
      exit: ExitCode.PREREQUISITE,
      details: {...details, ...(permission ? {permission} : {}), ...(role ? {role: role.role} : {})},
    })
  }
  if (status === undefined && !reason && systemErrorCode(e)) {
    return new DezcError({
      code: 'NETWORK_ERROR',
      message: `Cannot reach BigQuery at ${ctx.endpoint} while ${ctx.action} (${systemErrorCode(e)}).`,
      suggestion: ['Check the network, or --api-root / DEZC_BQ_API_ROOT.'],
      exit: ExitCode.FAILURE,
      cause: e,
    })
  }
  if (ctx.userQuery && (status === 400 || reason === 'invalidQuery' || reason === 'invalid')) {
    return new DezcError({
      code: 'BQ_INVALID_QUERY',
      message: `BigQuery rejected the query: ${msg}`,
      suggestion: [
        'Fix the SQL (GoogleSQL; tables as `project.dataset.table`) and re-run; --dry-run checks it for free.',
      ],
      exit: ExitCode.FAILURE,
      details,
    })
  }
  if (job || reason) {
    return new DezcError({
      code: 'BQ_JOB_FAILED',
      message: `BigQuery ${job ? `job ${job} ` : ''}failed while ${ctx.action}${reason ? ` (${reason})` : ''}: ${msg}`,
      suggestion: ['Nothing was replaced: the table is as it was. Fix the cause and re-run.'],
      exit: ExitCode.FAILURE,
      details: {...details, errors: x?.response?.status?.errors ?? x?.errors},
    })
  }
  return new DezcError({
    code: 'GOOGLE_API_ERROR',
    message: `BigQuery failed while ${ctx.action}${status ? ` (${status})` : ''}: ${msg}`,
    suggestion: 'Re-run; nothing is replaced by a failed request.',
    exit: ExitCode.FAILURE,
    cause: e,
    details,
  })
}

const statusCode = (e: unknown) => (e as ApiErrorLike)?.code

/** The dataset's location, or BQ_DATASET_NOT_FOUND. */
export async function datasetLocation(c: BqClient, bqDataset: string, action: string): Promise<string> {
  try {
    const [meta] = await c.bq.dataset(bqDataset).getMetadata()
    return String((meta as {location?: string}).location ?? 'US')
  } catch (error) {
    if (statusCode(error) === 404) {
      throw new DezcError({
        code: 'BQ_DATASET_NOT_FOUND',
        message: `The BigQuery dataset ${c.project}:${bqDataset} does not exist (or this account cannot see it) at ${c.endpoint}.`,
        suggestion: [
          'Create the course dataset: dezc tf apply (dezc bq reads its name from terraform.tfvars).',
          'Or name an existing dataset with --bq-dataset (and the project with --project).',
        ],
        exit: ExitCode.FAILURE,
        details: {project: c.project, dataset: bqDataset},
      })
    }
    throw bqError(error, {action, endpoint: c.endpoint, project: c.project, bqDataset})
  }
}

export interface TableInfo {
  type: string
  numRows?: number
  numBytes?: number
  partitioning?: {type: string; field?: string}
  clustering?: string[]
  sourceUris?: string[]
}

export async function tableInfo(c: BqClient, bqDataset: string, table: string): Promise<TableInfo | undefined> {
  try {
    const [m] = await c.bq.dataset(bqDataset).table(table).getMetadata()
    const meta = m as Record<string, any>
    return {
      type: String(meta.type ?? 'TABLE'),
      ...(meta.numRows === undefined ? {} : {numRows: Number(meta.numRows)}),
      ...(meta.numBytes === undefined ? {} : {numBytes: Number(meta.numBytes)}),
      ...(meta.timePartitioning ? {partitioning: meta.timePartitioning} : {}),
      ...(meta.clustering?.fields ? {clustering: meta.clustering.fields} : {}),
      ...(meta.externalDataConfiguration?.sourceUris ? {sourceUris: meta.externalDataConfiguration.sourceUris} : {}),
    }
  } catch (error) {
    if (statusCode(error) === 404) return undefined
    throw bqError(error, {action: `reading table ${table}`, endpoint: c.endpoint, project: c.project, bqDataset})
  }
}

export async function deleteTable(c: BqClient, bqDataset: string, table: string): Promise<void> {
  try {
    await c.bq.dataset(bqDataset).table(table).delete()
  } catch (error) {
    if (statusCode(error) !== 404)
      throw bqError(error, {action: `deleting table ${table}`, endpoint: c.endpoint, project: c.project, bqDataset})
  }
}

export interface JobOutcome {
  jobId: string
  location: string
  statistics: Record<string, any>
}

/** Insert a job, then poll it until DONE; a failed job throws (bqError). */
async function runJob(
  c: BqClient,
  o: {configuration: Record<string, unknown>; location?: string; signal?: AbortSignal; ctx: ErrorContext},
): Promise<JobOutcome> {
  let job: Job
  let meta: Record<string, any>
  try {
    ;[job, meta] = (await c.bq.createJob({configuration: o.configuration, location: o.location} as never)) as [
      Job,
      Record<string, any>,
    ]
  } catch (error) {
    throw bqError(error, o.ctx)
  }
  const jobId = String(job.id ?? meta?.jobReference?.jobId)
  let delay = 100
  while (meta?.status?.state !== 'DONE') {
    if (o.signal?.aborted)
      throw new InterruptedError(
        `Interrupted: BigQuery job ${jobId} goes on in the project; a month's replacement commits whole or not at all.`,
      )
    await sleep(delay)
    delay = Math.min(delay * 2, 2000)
    try {
      ;[meta] = (await job.getMetadata()) as unknown as [Record<string, any>]
    } catch (error) {
      throw bqError(error, o.ctx, jobId)
    }
  }
  if (meta.status?.errorResult) throw bqError({response: meta}, o.ctx, jobId)
  return {jobId, location: String(meta.jobReference?.location ?? o.location ?? ''), statistics: meta.statistics ?? {}}
}

export interface QueryOutcome extends JobOutcome {
  bytesProcessed: number
  statementType?: string
  cacheHit?: boolean
  rows?: Array<Record<string, unknown>>
  totalRows?: number
}

/** A GoogleSQL query (or script); with dryRun only its statistics. Rows are read up to maxRows. */
export async function runQuery(
  c: BqClient,
  o: {sql: string; location?: string; dryRun?: boolean; maxRows?: number; signal?: AbortSignal; ctx: ErrorContext},
): Promise<QueryOutcome> {
  const out = await runJob(c, {
    configuration: {query: {query: o.sql, useLegacySql: false}, ...(o.dryRun ? {dryRun: true} : {})},
    location: o.location,
    signal: o.signal,
    ctx: o.ctx,
  })
  const s = out.statistics
  const base: QueryOutcome = {
    ...out,
    bytesProcessed: Number(s.query?.totalBytesProcessed ?? s.totalBytesProcessed ?? 0),
    ...(s.query?.statementType ? {statementType: String(s.query.statementType)} : {}),
    ...(s.query?.cacheHit === undefined ? {} : {cacheHit: Boolean(s.query.cacheHit)}),
  }
  if (o.dryRun || o.maxRows === undefined) return base
  try {
    const [rows, , resp] = (await c.bq
      .job(out.jobId, {location: out.location})
      .getQueryResults({maxResults: o.maxRows, autoPaginate: false})) as [
      Array<Record<string, unknown>>,
      unknown,
      {totalRows?: string},
    ]
    return {...base, rows, totalRows: Number(resp?.totalRows ?? rows.length)}
  } catch (error) {
    throw bqError(error, o.ctx, out.jobId)
  }
}

export interface LoadOutcome extends JobOutcome {
  outputRows: number
  outputBytes: number
  inputFiles: number
}

/** A load job: parquet objects into a table, replacing its contents (WRITE_TRUNCATE). */
export async function runLoad(
  c: BqClient,
  o: {
    uris: string[]
    bqDataset: string
    table: string
    location: string
    signal?: AbortSignal
    ctx: ErrorContext
  },
): Promise<LoadOutcome> {
  const out = await runJob(c, {
    configuration: {
      load: {
        sourceUris: o.uris,
        sourceFormat: 'PARQUET',
        destinationTable: {projectId: c.project, datasetId: o.bqDataset, tableId: o.table},
        writeDisposition: 'WRITE_TRUNCATE',
        createDisposition: 'CREATE_IF_NEEDED',
      },
    },
    location: o.location,
    signal: o.signal,
    ctx: o.ctx,
  })
  const l = out.statistics.load ?? {}
  return {
    ...out,
    outputRows: Number(l.outputRows ?? 0),
    outputBytes: Number(l.outputBytes ?? 0),
    inputFiles: Number(l.inputFiles ?? o.uris.length),
  }
}
