/**
 * `dezc bq external|load|query`. Pre-flight first (the dataset exists; for the commands that read
 * the bucket: the bucket exists and its location is one BigQuery can read from the dataset's; the
 * months exist as objects), then only BigQuery jobs: no row passes through this machine.
 *
 * `load`, per month: a load job (WRITE_TRUNCATE) into a staging table, its row count checked
 * against the count `dezc lake upload` recorded on the object, then one multi-statement
 * transaction that deletes the month's rows (by dezc_month) and its ledger row and inserts the
 * staging rows and a new ledger row; the staging table is then dropped. A failure before the
 * COMMIT leaves the table and the ledger as they were. No oclif.
 */
import {DezcError, ExitCode, usageError} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import type {DatasetSpec} from '../ingest/datasets.js'
import {expandPeriods} from '../ingest/periods.js'
import {resolveDataset} from '../ingest/service.js'
import {objectName, periodOfObject, type RemoteObject} from '../lake/plan.js'
import type {BqClient, ErrorContext} from './client.js'
import {
  LAYOUT,
  LEDGER_TABLE,
  bqLoadCommand,
  bqQueryCommand,
  bqRmCommand,
  costUsd,
  decideMonth,
  externalTableSql,
  externalUri,
  ledgerReadSql,
  ledgerTableSql,
  locationsCompatible,
  nativeTableSql,
  replaceMonthSql,
  stagingTable,
  tableNames,
  tableRef,
  type LedgerRow,
  type MonthAction,
} from './plan.js'
import type {BqSettings} from './settings.js'

export interface BqOptions {
  settings: BqSettings
  ui: Ui
  signal: AbortSignal
  env?: NodeJS.ProcessEnv
}

export interface Session {
  client: BqClient
  location: string
  bucket?: {
    name: string
    location: string
    list(prefix: string): Promise<RemoteObject[]>
    stat(name: string): Promise<RemoteObject | undefined>
  }
  ctx: (action: string) => ErrorContext
}

export function tripDataset(name: string): DatasetSpec {
  const spec = resolveDataset(name)
  if (!spec.monthly)
    throw usageError(
      'LAKE_DATASET_NOT_MONTHLY',
      `${spec.name} is a lookup table, not monthly trip files; dezc bq reads the months dezc lake upload wrote.`,
      'Use yellow, green, fhv or fhvhv (e.g. dezc bq load yellow 2021-01).',
    )
  return spec
}

/** The dataset (and, with lake settings, the bucket) exist, and BigQuery can read the bucket from the dataset's location. */
export async function preflight(o: BqOptions): Promise<Session> {
  const s = o.settings
  const {openBigQuery, datasetLocation} = await import('./client.js')
  const client = await openBigQuery({project: s.project, apiRoot: s.apiRoot, env: o.env})
  const ctx = (action: string): ErrorContext => ({
    action,
    endpoint: client.endpoint,
    project: s.project,
    bqDataset: s.bqDataset,
  })
  const location = await datasetLocation(client, s.bqDataset, `reading the dataset ${s.bqDataset}`)
  if (!s.lake) return {client, location, ctx}
  const lake = s.lake
  const {openStorage, storageError, listObjects, statObject} = await import('../lake/storage.js')
  const storage = await openStorage({apiRoot: lake.apiRoot, env: o.env})
  const gcsCtx = (action: string) => ({bucket: lake.bucket, action, endpoint: storage.endpoint})
  const b = storage.storage.bucket(lake.bucket)
  let bucketLocation: string
  try {
    const [meta] = await b.getMetadata()
    bucketLocation = String(meta.location ?? '')
  } catch (error) {
    throw storageError(error, gcsCtx('checking the bucket'))
  }
  if (!locationsCompatible(bucketLocation, location)) {
    throw new DezcError({
      code: 'BQ_LOCATION_MISMATCH',
      message: `The bucket gs://${lake.bucket} is in ${bucketLocation} and the dataset ${s.project}:${s.bqDataset} in ${location}: BigQuery cannot read that bucket from that dataset ("Cannot read and write in different locations").`,
      suggestion: [
        `Use a dataset in ${bucketLocation} (or a multi-region holding it): --bq-dataset NAME, or recreate both with one location (dezc tf sets the bucket and dataset from \`location\`).`,
        `Or copy the objects to a bucket in ${location}: gcloud storage buckets create gs://NEW --location=${location} && gcloud storage cp -r gs://${lake.bucket}/* gs://NEW/`,
      ],
      exit: ExitCode.FAILURE,
      details: {bucket: lake.bucket, bucketLocation, dataset: s.bqDataset, datasetLocation: location},
    })
  }
  const wrap =
    <A extends unknown[], R>(what: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a)
      } catch (error) {
        throw storageError(error, gcsCtx(what))
      }
    }
  return {
    client,
    location,
    ctx,
    bucket: {
      name: lake.bucket,
      location: bucketLocation,
      list: wrap('listing objects', (prefix: string) => listObjects(b, prefix)),
      stat: wrap('reading an object', (name: string) => statObject(b, name)),
    },
  }
}

const months = (objects: RemoteObject[], dataset: string) =>
  objects
    .map((r) => periodOfObject(r.name, dataset))
    .filter((p): p is string => p !== undefined)
    .sort()

// ---------------------------------------------------------------------------------------------
// external

export interface ExternalResult {
  project: string
  bqDataset: string
  location: string
  table: string
  ref: string
  uri: string
  bucket: string
  bucketLocation: string
  /** The months the bucket holds for the dataset (what the table spans). */
  months: string[]
  /** SELECT COUNT(*) over the new table. */
  rows: number
  jobId: string
  sql: string
}

export interface ExternalDryRun {
  dryRun: true
  ref: string
  uri: string
  sql: string
  commands: string[]
}

function externalPlan(s: BqSettings, dataset: string) {
  const spec = tripDataset(dataset)
  const table = tableNames(spec.name).external
  const ref = tableRef(s.project, s.bqDataset, table)
  const uri = externalUri(s.lake!.bucket, spec.name)
  return {spec, table, ref, uri, sql: externalTableSql(ref, uri)}
}

export function bqExternalDryRun(o: BqOptions & {dataset: string}): ExternalDryRun {
  const p = externalPlan(o.settings, o.dataset)
  return {dryRun: true, ref: p.ref, uri: p.uri, sql: p.sql, commands: [bqQueryCommand({...o.settings, sql: p.sql})]}
}

export async function bqExternal(o: BqOptions & {dataset: string}): Promise<ExternalResult> {
  const p = externalPlan(o.settings, o.dataset)
  const session = await preflight(o)
  const {runQuery} = await import('./client.js')
  const present = months(await session.bucket!.list(`${p.spec.name}/`), p.spec.name)
  if (present.length === 0) {
    throw new DezcError({
      code: 'BQ_NOTHING_UPLOADED',
      message: `gs://${session.bucket!.name}/${p.spec.name}/ holds no months of ${p.spec.name}: an external table over it would read nothing.`,
      suggestion: `Upload months first: dezc lake upload ${p.spec.name} 2021-01..2021-03`,
      exit: ExitCode.FAILURE,
      details: {uri: p.uri},
    })
  }
  o.ui.reporter.info(`Creating ${p.ref} over ${p.uri} (${present.length} months, ${present[0]} .. ${present.at(-1)}).`)
  const run = (sql: string, action: string, maxRows?: number) =>
    runQuery(session.client, {sql, location: session.location, maxRows, signal: o.signal, ctx: session.ctx(action)})
  const ddl = await run(p.sql, `creating the external table ${p.table}`)
  // Reading every file once proves they share one schema (BigQuery reads them all per query).
  const count = await run(`SELECT COUNT(*) AS n FROM ${p.ref}`, `counting the rows of ${p.table}`, 1)
  return {
    project: o.settings.project,
    bqDataset: o.settings.bqDataset,
    location: session.location,
    table: p.table,
    ref: p.ref,
    uri: p.uri,
    bucket: session.bucket!.name,
    bucketLocation: session.bucket!.location,
    months: present,
    rows: Number(count.rows?.[0]?.n ?? 0),
    jobId: ddl.jobId,
    sql: p.sql,
  }
}

// ---------------------------------------------------------------------------------------------
// load

export interface MonthResult {
  period: string
  status: 'loaded' | 'replaced' | 'skipped'
  uri: string
  rows: number
  /** The load job (loaded/replaced) and the transaction that replaced the month. */
  loadJobId?: string
  replaceJobId?: string
  seconds: number
}

export interface LoadResult {
  project: string
  bqDataset: string
  location: string
  table: string
  ref: string
  partitioning: {type: 'DAY'; field: string}
  clustering: string[]
  months: MonthResult[]
  totals: {loaded: number; skipped: number; rows: number}
  /** COUNT(*) of the table after the run. */
  tableRows: number
}

export interface LoadDryRunStep {
  period: string
  uri: string
  action: MonthAction | 'load or skip'
}

export interface LoadDryRun {
  dryRun: true
  ref: string
  ledgerRead: boolean
  steps: LoadDryRunStep[]
  commands: string[]
}

export interface LoadOptions extends BqOptions {
  dataset: string
  periods: string[]
  force?: boolean
  now?: Date
}

export function loadNames(s: BqSettings, spec: DatasetSpec) {
  const table = tableNames(spec.name).native
  return {
    table,
    ref: tableRef(s.project, s.bqDataset, table),
    ledger: tableRef(s.project, s.bqDataset, LEDGER_TABLE),
  }
}

export async function readLedger(
  session: Session,
  ledgerRef: string,
  table: string,
  signal: AbortSignal,
): Promise<Map<string, LedgerRow>> {
  const {runQuery} = await import('./client.js')
  const r = await runQuery(session.client, {
    sql: ledgerReadSql(ledgerRef, table),
    location: session.location,
    maxRows: 100_000,
    signal,
    ctx: session.ctx(`reading the ledger ${LEDGER_TABLE}`),
  })
  return new Map(
    (r.rows ?? []).map((x) => [
      String(x.month),
      {
        month: String(x.month),
        rows: Number(x.row_count ?? 0),
        ...(x.generation ? {generation: String(x.generation)} : {}),
        ...(x.source_uri ? {uri: String(x.source_uri)} : {}),
      },
    ]),
  )
}

/** The months asked for (all the bucket holds when none are given). */
async function loadPeriods(o: LoadOptions, spec: DatasetSpec, session?: Session): Promise<string[]> {
  if (o.periods.length > 0) return expandPeriods(o.periods, {now: o.now, first: spec.firstPeriod, dataset: spec.name})
  if (!session)
    throw usageError(
      'MISSING_PERIOD',
      `Which months of ${spec.name}?`,
      `Give periods for --dry-run: dezc bq load ${spec.name} 2021-01..2021-03 --dry-run`,
    )
  return months(await session.bucket!.list(`${spec.name}/`), spec.name)
}

export async function bqLoadDryRun(o: LoadOptions): Promise<LoadDryRun> {
  const s = o.settings
  const spec = tripDataset(o.dataset)
  const n = loadNames(s, spec)
  const periods = await loadPeriods(o, spec)
  let ledger: Map<string, LedgerRow> | undefined
  try {
    const session = await preflight({...o, settings: {...s, lake: undefined}})
    const {tableInfo} = await import('./client.js')
    ledger = (await tableInfo(session.client, s.bqDataset, LEDGER_TABLE))
      ? await readLedger(session, n.ledger, n.table, o.signal)
      : new Map()
  } catch (error) {
    o.ui.reporter.warn(`${(error as Error).message} Showing the plan without reading the ledger.`)
  }
  const uri = (p: string) => `gs://${s.lake!.bucket}/${objectName(spec.name, p)}`
  const steps = periods.map((p): LoadDryRunStep => ({
    period: p,
    uri: uri(p),
    action: ledger ? decideMonth(ledger.get(p), Boolean(o.force)) : 'load or skip',
  }))
  const commands = [
    bqQueryCommand({...s, sql: ledgerTableSql(n.ledger)}),
    bqQueryCommand({...s, sql: nativeTableSql(n.ref, spec)}),
  ]
  for (const st of steps.filter((x) => x.action !== 'skip')) {
    const staging = `${s.bqDataset}.${stagingTable(spec.name, st.period)}`
    const script = replaceMonthSql({
      target: n.ref,
      staging: tableRef(s.project, s.bqDataset, stagingTable(spec.name, st.period)),
      ledger: n.ledger,
      table: n.table,
      spec,
      load: {period: st.period, uri: st.uri, rows: `(SELECT COUNT(*) FROM \`${staging}\`)`, jobId: 'bq-cli'},
    })
    commands.push(
      bqLoadCommand({project: s.project, location: 'LOCATION', table: staging, uri: st.uri}),
      bqQueryCommand({...s, sql: script}),
      bqRmCommand({project: s.project, table: staging}),
    )
  }
  return {dryRun: true, ref: n.ref, ledgerRead: ledger !== undefined, steps, commands}
}

type Names = ReturnType<typeof loadNames>
type Query = (sql: string, action: string, maxRows?: number) => ReturnType<typeof import('./client.js').runQuery>

/** The ledger and the native table exist (created when missing); the query runner of the session. */
export async function ensureTables(session: Session, n: Names, spec: DatasetSpec, signal: AbortSignal): Promise<Query> {
  const {runQuery} = await import('./client.js')
  const query: Query = (sql, action, maxRows) =>
    runQuery(session.client, {sql, location: session.location, maxRows, signal, ctx: session.ctx(action)})
  await query(ledgerTableSql(n.ledger), `creating the ledger ${LEDGER_TABLE}`)
  await query(nativeTableSql(n.ref, spec), `creating the table ${n.table}`)
  return query
}

/**
 * One month: skipped when the ledger has it (unless --force); else a load job into a staging
 * table, its row count checked against the object's dezc-rows, one transaction replacing the
 * month and its ledger row; the staging table dropped in any case. Used by `bq load` and by
 * `ingest --to bigquery`.
 */
export async function loadMonth(m: {
  session: Session
  settings: BqSettings
  spec: DatasetSpec
  names: Names
  period: string
  object: RemoteObject
  before?: LedgerRow
  force?: boolean
  ui: Ui
  signal: AbortSignal
  /** Months done before this one in the same run (named in a failure's suggestion). */
  completed?: MonthResult[]
}): Promise<MonthResult> {
  const {session, spec, period} = m
  const s = m.settings
  const n = m.names
  const {runLoad, deleteTable, runQuery} = await import('./client.js')
  const query: Query = (sql, action, maxRows) =>
    runQuery(session.client, {sql, location: session.location, maxRows, signal: m.signal, ctx: session.ctx(action)})
  const t0 = Date.now()
  const obj = m.object
  const uri = `gs://${session.bucket!.name}/${obj.name}`
  const before = m.before
  const action = decideMonth(before, Boolean(m.force))
  const label = `${spec.name} ${period}`
  if (action === 'skip') {
    if (before?.generation && obj.generation && before.generation !== obj.generation)
      m.ui.reporter.warn(
        `${label}: ${uri} changed since it was loaded (generation ${before.generation} -> ${obj.generation}); --force reloads it.`,
      )
    m.ui.reporter.info(`${label}: already loaded (${before!.rows.toLocaleString('en-US')} rows); skipped.`)
    return {period, status: 'skipped', uri, rows: before!.rows, seconds: 0}
  }
  const staging = stagingTable(spec.name, period)
  try {
    m.ui.reporter.info(`${label}: load job ${uri} -> ${staging}`)
    const load = await runLoad(session.client, {
      uris: [uri],
      bqDataset: s.bqDataset,
      table: staging,
      location: session.location,
      signal: m.signal,
      ctx: session.ctx(`loading ${uri}`),
    })
    const expected = obj.metadata?.['dezc-rows']
    if (expected !== undefined && Number(expected) !== load.outputRows)
      throw new DezcError({
        code: 'ROW_COUNT_MISMATCH',
        message: `${label}: the load job wrote ${load.outputRows} rows, the object holds ${expected} (dezc-rows). Nothing was replaced.`,
        suggestion: `Re-upload the month (dezc lake upload ${spec.name} ${period} --force) and re-run.`,
        exit: ExitCode.FAILURE,
        details: {period, jobId: load.jobId},
      })
    const script = replaceMonthSql({
      target: n.ref,
      staging: tableRef(s.project, s.bqDataset, staging),
      ledger: n.ledger,
      table: n.table,
      spec,
      load: {period, uri, generation: obj.generation, rows: load.outputRows, jobId: load.jobId},
    })
    const tx = await query(script, `replacing ${period} in ${n.table}`)
    m.ui.reporter.info(
      `${label}: ${action === 'replace' ? 'replaced' : 'loaded'} ${load.outputRows.toLocaleString('en-US')} rows (jobs ${load.jobId}, ${tx.jobId}).`,
    )
    return {
      period,
      status: action === 'replace' ? 'replaced' : 'loaded',
      uri,
      rows: load.outputRows,
      loadJobId: load.jobId,
      replaceJobId: tx.jobId,
      seconds: Math.round((Date.now() - t0) / 10) / 100,
    }
  } catch (error) {
    const done = (m.completed ?? []).map((r) => `${r.period} ${r.status}`).join(', ')
    const e = error instanceof DezcError ? error : new DezcError({code: 'BQ_JOB_FAILED', message: String(error)})
    throw new DezcError({
      code: e.code,
      message: e.message,
      suggestion: [...e.suggestions, ...(done ? [`Done before it: ${done} (a re-run skips them).`] : [])],
      exit: e.exit,
      cause: e.cause,
      details: {...e.details, period, completed: m.completed ?? []},
    })
  } finally {
    await deleteTable(session.client, s.bqDataset, staging).catch(() => {})
  }
}

export async function bqLoad(o: LoadOptions): Promise<LoadResult> {
  const s = o.settings
  const spec = tripDataset(o.dataset)
  const n = loadNames(s, spec)
  const session = await preflight(o)
  const bucket = session.bucket!
  const periods = await loadPeriods(o, spec, session)
  if (periods.length === 0)
    throw new DezcError({
      code: 'BQ_NOTHING_UPLOADED',
      message: `gs://${bucket.name}/${spec.name}/ holds no months of ${spec.name}.`,
      suggestion: `Upload months first: dezc lake upload ${spec.name} 2021-01..2021-03`,
      exit: ExitCode.FAILURE,
    })
  // Every month must be in the bucket before any job runs.
  const objects = new Map<string, RemoteObject>()
  for (const p of periods) {
    const obj = await bucket.stat(objectName(spec.name, p))
    if (obj) objects.set(p, obj)
  }
  const missing = periods.filter((p) => !objects.has(p))
  if (missing.length > 0) {
    throw new DezcError({
      code: 'BQ_MONTH_NOT_UPLOADED',
      message: `${missing.length === 1 ? 'A month is' : `${missing.length} months are`} not in gs://${bucket.name}: ${missing.map((p) => objectName(spec.name, p)).join(', ')}. Nothing was loaded.`,
      suggestion: `Upload ${missing.length === 1 ? 'it' : 'them'} first: dezc lake upload ${spec.name} ${missing.join(' ')}`,
      exit: ExitCode.FAILURE,
      details: {missing},
    })
  }
  const query = await ensureTables(session, n, spec, o.signal)
  const ledger = await readLedger(session, n.ledger, n.table, o.signal)

  const results: MonthResult[] = []
  for (const period of periods) {
    const r = await loadMonth({
      session,
      settings: s,
      spec,
      names: n,
      period,
      object: objects.get(period)!,
      before: ledger.get(period),
      force: o.force,
      ui: o.ui,
      signal: o.signal,
      completed: results,
    })
    results.push(r)
  }
  const count = await query(`SELECT COUNT(*) AS n FROM ${n.ref}`, `counting the rows of ${n.table}`, 1)
  const moved = results.filter((r) => r.status !== 'skipped')
  const layout = LAYOUT[spec.name as keyof typeof LAYOUT]
  return {
    project: s.project,
    bqDataset: s.bqDataset,
    location: session.location,
    table: n.table,
    ref: n.ref,
    partitioning: {type: 'DAY', field: layout.partition},
    clustering: layout.cluster,
    months: results,
    totals: {loaded: moved.length, skipped: results.length - moved.length, rows: moved.reduce((a, r) => a + r.rows, 0)},
    tableRows: Number(count.rows?.[0]?.n ?? 0),
  }
}

// ---------------------------------------------------------------------------------------------
// query

export interface QueryResult {
  sql: string
  dryRun: boolean
  location?: string
  jobId: string
  bytesProcessed: number
  usdPerTib: number
  /** On-demand estimate: bytesProcessed / 2^40 * usdPerTib. */
  costUsd: number
  statementType?: string
  rows?: Array<Record<string, unknown>>
  totalRows?: number
  command: string
}

/** BigQuery's row values as plain JSON (timestamps and dates come as {value}). */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row))
    out[k] = v && typeof v === 'object' && 'value' in (v as object) ? (v as {value: unknown}).value : v
  return out
}

export async function bqQuery(o: BqOptions & {sql: string; dryRun: boolean; maxRows: number}): Promise<QueryResult> {
  const s = o.settings
  if (!o.sql.trim()) throw usageError('USAGE', 'No SQL given.', 'dezc bq query "SELECT COUNT(*) FROM `p.ds.t`"')
  let session: Session | undefined
  try {
    session = await preflight(o)
  } catch (error) {
    // A query need not touch the configured dataset: let BigQuery choose the location.
    if (!(error instanceof DezcError && error.code === 'BQ_DATASET_NOT_FOUND')) throw error
  }
  const {openBigQuery, runQuery} = await import('./client.js')
  const client = session?.client ?? (await openBigQuery({project: s.project, apiRoot: s.apiRoot, env: o.env}))
  const r = await runQuery(client, {
    sql: o.sql,
    location: session?.location,
    dryRun: o.dryRun,
    maxRows: o.maxRows,
    signal: o.signal,
    ctx: {action: 'running the query', endpoint: client.endpoint, project: s.project, userQuery: true},
  })
  return {
    sql: o.sql,
    dryRun: o.dryRun,
    ...(session ? {location: session.location} : {}),
    jobId: r.jobId,
    bytesProcessed: r.bytesProcessed,
    usdPerTib: s.usdPerTib,
    costUsd: costUsd(r.bytesProcessed, s.usdPerTib),
    ...(r.statementType ? {statementType: r.statementType} : {}),
    ...(r.rows ? {rows: r.rows.map(plain), totalRows: r.totalRows} : {}),
    command: bqQueryCommand({project: s.project, location: session?.location, sql: o.sql, dryRun: o.dryRun}),
  }
}
