/**
 * `dezc lake upload|ls`: months of a TLC dataset into the bucket, one object per month, and what
 * the bucket holds. Per month: download (the ingest cache), normalise (DuckDB, cached), hash, read
 * the object's metadata, then skip / upload / replace; at most `jobs` months in flight. No oclif.
 */
import path from 'node:path'
import {DezcError, ExitCode, InterruptedError} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import {mb} from '../core/units.js'
import {DATASETS, sourceUrl, type DatasetSpec} from '../ingest/datasets.js'
import {download} from '../ingest/download.js'
import {expandPeriods} from '../ingest/periods.js'
import type {SourceFormat} from '../ingest/reader.js'
import {duckType, quoteDuckIdent} from '../ingest/schema-map.js'
import {resolveDataset} from '../ingest/service.js'
import {CANONICAL_VERSION, normalise} from './normalise.js'
import {
  LAYOUT_KEY,
  SOURCE_KEY,
  decide,
  monthsByDataset,
  objectName,
  periodOfObject,
  planDryRun,
  type Layout,
  type LakeDryRun,
  type LsEntry,
  type RemoteObject,
} from './plan.js'
import type {LakeSettings} from './settings.js'
import {
  checkObjectPermissions,
  fileDigests,
  listObjects,
  openStorage,
  statObject,
  storageError,
  uploadObject,
  type StorageClients,
} from './storage.js'

export interface UploadOptions {
  settings: LakeSettings
  dataset: string
  periods: string[]
  asIs?: boolean
  force?: boolean
  noCache?: boolean
  /** Root of dezc's cache (cacheDir()). */
  cacheRoot: string
  ui: Ui
  signal: AbortSignal
  env?: NodeJS.ProcessEnv
  now?: Date
  retryBaseMs?: number
}

export interface MonthUpload {
  dataset: string
  period: string
  object: string
  url: string
  status: 'uploaded' | 'replaced' | 'skipped'
  bytes: number
  /** Rows in the uploaded file (canonical layout). */
  rows?: number
  md5: string
  crc32c: string
  source: string
  seconds: number
  /** Upload rate of this month (uploaded/replaced only). */
  mbPerSecond?: number
  /** single: one multipart request (the file fits in one chunk); resumable: a session in chunks. */
  method?: 'single' | 'resumable'
  /** > 0 when an earlier run's session was continued. */
  resumedFrom?: number
  /** Cuts resumed within this run. */
  resumes?: number
  sentBytes?: number
  downloadFromCache: boolean
}

export interface UploadResult {
  bucket: string
  bucketSource: string
  layout: Layout
  uploads: MonthUpload[]
  totals: {uploaded: number; skipped: number; bytes: number; seconds: number; mbPerSecond: number}
}

/** The months to upload, validated (no I/O). */
export function lakeItems(o: Pick<UploadOptions, 'dataset' | 'periods' | 'settings' | 'now'>): {
  spec: DatasetSpec
  items: Array<{period: string; url: string}>
} {
  const spec = resolveDataset(o.dataset)
  if (!spec.monthly) {
    throw new DezcError({
      code: 'LAKE_DATASET_NOT_MONTHLY',
      message: `${spec.name} is a lookup table, not monthly trip files; the lake holds the trip datasets.`,
      suggestion: 'Upload yellow, green, fhv or fhvhv months (e.g. dezc lake upload yellow 2021-01).',
      exit: ExitCode.USAGE,
    })
  }
  if (o.periods.length === 0) {
    throw new DezcError({
      code: 'MISSING_PERIOD',
      message: `Which months of ${spec.name}?`,
      suggestion: `Give one or more periods: dezc lake upload ${spec.name} 2021-01 (or 2021-01..2021-06, or 2021).`,
      exit: ExitCode.USAGE,
    })
  }
  const periods = expandPeriods(o.periods, {now: o.now, first: spec.firstPeriod, dataset: spec.name})
  return {spec, items: periods.map((p) => ({period: p, url: sourceUrl(spec.name, p, o.settings.baseUrl)}))}
}

/** Run `fn` over items with at most `n` at once; the first failure stops new starts, and is thrown after the others finish. */
async function pool<T, R>(
  items: T[],
  n: number,
  fn: (item: T) => Promise<R>,
  signal: AbortSignal,
): Promise<{done: R[]; error?: unknown}> {
  const done: R[] = []
  let error: unknown
  let next = 0
  const worker = async () => {
    while (error === undefined && !signal.aborted && next < items.length) {
      const item = items[next++]
      try {
        done.push(await fn(item))
      } catch (e) {
        error ??= e
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(n, items.length)}, worker))
  return {done, error}
}

async function checkBucket(clients: StorageClients, bucket: string): Promise<void> {
  try {
    const [exists] = await clients.storage.bucket(bucket).exists()
    if (!exists) throw Object.assign(new Error('not found'), {code: 404})
  } catch (error) {
    throw storageError(error, {bucket, action: 'checking the bucket', endpoint: clients.endpoint})
  }
}

/** A month's source file, already on this machine. */
export interface MonthSource {
  path: string
  sha256: string
  url: string
  fromCache: boolean
  format: SourceFormat
}

export interface MonthUploadOptions {
  clients: StorageClients
  settings: LakeSettings
  spec: DatasetSpec
  period: string
  source: MonthSource
  layout: Layout
  force?: boolean
  cacheRoot: string
  ui: Ui
  signal: AbortSignal
  retryBaseMs?: number
}

/**
 * One month into the bucket: skipped when the object was written from the same source file in the
 * same layout (no normalising or hashing); else normalised (canonical), hashed, compared with the
 * object and uploaded, replaced (--force) or refused (other content). Used by `lake upload` and by
 * `ingest --to bigquery`.
 */
export async function uploadMonth(m: MonthUploadOptions): Promise<MonthUpload> {
  const {clients, spec, layout} = m
  const s = m.settings
  const bucket = clients.storage.bucket(s.bucket)
  const info = (msg: string) => m.ui.reporter.info(msg)
  const label = `${spec.name} ${m.period}`
  const object = objectName(spec.name, m.period)
  const started = Date.now()
  const src = m.source
  let remote: RemoteObject | undefined
  try {
    remote = await statObject(bucket, object)
  } catch (error) {
    throw storageError(error, {bucket: s.bucket, action: `reading ${object}`, endpoint: clients.endpoint})
  }
  if (remote && !m.force && remote.metadata?.[SOURCE_KEY] === src.sha256 && remote.metadata?.[LAYOUT_KEY] === layout) {
    info(`${label}: gs://${s.bucket}/${object} was written from this source file (${mb(remote.bytes)}); skipped.`)
    const rows = remote.metadata?.['dezc-rows']
    return {
      dataset: spec.name,
      period: m.period,
      object,
      url: `gs://${s.bucket}/${object}`,
      status: 'skipped',
      bytes: remote.bytes,
      md5: remote.md5 ?? '',
      crc32c: remote.crc32c ?? '',
      source: src.url,
      downloadFromCache: src.fromCache,
      seconds: round((Date.now() - started) / 1000),
      ...(rows === undefined ? {} : {rows: Number(rows)}),
    }
  }
  let file = src.path
  let rows: number | undefined
  if (layout === 'canonical') {
    const n = await normalise({
      source: src.path,
      sourceSha256: src.sha256,
      format: src.format,
      spec,
      period: m.period,
      outDir: path.join(m.cacheRoot, 'lake', CANONICAL_VERSION),
      label,
    })
    if (n.dropped.length > 0)
      m.ui.reporter.warn(
        `${label}: column${n.dropped.length > 1 ? 's' : ''} ${n.dropped.join(', ')} ${n.dropped.length > 1 ? 'are' : 'is'} not in the canonical ${spec.name} schema and ${n.dropped.length > 1 ? 'were' : 'was'} left out (upload with --as-is to keep the TLC file untouched).`,
      )
    file = n.path
    rows = n.rows
  }
  const digests = await fileDigests(file)
  const action = decide(digests, remote, Boolean(m.force), {sha256: src.sha256, layout})
  const base = {
    dataset: spec.name,
    period: m.period,
    object,
    url: `gs://${s.bucket}/${object}`,
    bytes: digests.bytes,
    md5: digests.md5,
    crc32c: digests.crc32c,
    source: m.source.url,
    downloadFromCache: src.fromCache,
    ...(rows === undefined ? {} : {rows}),
  }
  if (action === 'skip') {
    info(
      `${label}: gs://${s.bucket}/${object} already holds this file (${mb(digests.bytes)}, crc32c ${remote!.crc32c ?? '-'}); skipped.`,
    )
    return {
      ...base,
      status: 'skipped',
      md5: remote!.md5 ?? digests.md5,
      crc32c: remote!.crc32c ?? digests.crc32c,
      bytes: remote!.bytes,
      seconds: (Date.now() - started) / 1000,
    }
  }
  if (action === 'conflict') {
    throw new DezcError({
      code: 'LAKE_OBJECT_CONFLICT',
      message: `gs://${s.bucket}/${object} exists with other content (${remote!.bytes} bytes, crc32c ${remote!.crc32c}; this ${layout} file: ${digests.bytes} bytes, crc32c ${digests.crc32c}).`,
      suggestion: [
        `Replace it with --force (e.g. dezc lake upload ${spec.name} ${m.period} --force).`,
        layout === 'canonical' && remote!.metadata?.[LAYOUT_KEY] === 'as-is'
          ? 'The object in the bucket was uploaded --as-is; add --as-is to keep that layout.'
          : 'The TLC may have republished the month, or the object was written by another tool.',
      ],
      exit: ExitCode.FAILURE,
      details: {object, remote, local: digests},
    })
  }
  const tu = Date.now()
  let last = 0
  const out = await uploadObject({
    clients,
    bucket: s.bucket,
    object,
    file,
    digests,
    metadata: {
      [SOURCE_KEY]: src.sha256,
      [LAYOUT_KEY]: layout,
      'dezc-dataset': spec.name,
      'dezc-period': m.period,
      ...(rows === undefined ? {} : {'dezc-rows': String(rows)}),
    },
    chunkBytes: s.chunkBytes,
    stateDir: path.join(m.cacheRoot, 'lake', 'sessions'),
    signal: m.signal,
    retryBaseMs: m.retryBaseMs,
    onWarning: (w) => m.ui.reporter.warn(w),
    onProgress: (sent, total) => {
      const now = Date.now()
      if (now - last < 1000) return
      last = now
      info(`${label}: uploading ${mb(sent)} / ${mb(total)} (${rate(sent, now - tu)})`)
    },
  })
  const seconds = (Date.now() - tu) / 1000
  const mbPerSecond = round(digests.bytes / 1e6 / Math.max(seconds, 0.001))
  info(
    `${label}: ${action === 'replace' ? 'replaced' : 'uploaded'} gs://${s.bucket}/${object} (${mb(digests.bytes)}${rows === undefined ? '' : `, ${rows.toLocaleString('en-US')} rows`}, ${mbPerSecond} MB/s${out.resumedFrom ? `, resumed at byte ${out.resumedFrom}` : ''}${out.resumes ? `, ${out.resumes} cut${out.resumes > 1 ? 's' : ''} resumed` : ''}; crc32c ${digests.crc32c} verified).`,
  )
  return {
    ...base,
    status: action === 'replace' ? 'replaced' : 'uploaded',
    method: out.method,
    seconds: round((Date.now() - started) / 1000),
    mbPerSecond,
    resumedFrom: out.resumedFrom,
    resumes: out.resumes,
    sentBytes: out.sentBytes,
  }
}

export async function lakeUpload(o: UploadOptions): Promise<UploadResult> {
  const {spec, items} = lakeItems(o)
  const s = o.settings
  const layout: Layout = o.asIs ? 'as-is' : 'canonical'
  const clients = await openStorage({apiRoot: s.apiRoot, env: o.env})
  await checkBucket(clients, s.bucket)
  await checkObjectPermissions(clients, s.bucket, (m) => o.ui.reporter.debug(m))
  const t0 = Date.now()

  const one = async (it: {period: string; url: string}): Promise<MonthUpload> => {
    const src = await download({
      url: it.url,
      cacheRoot: path.join(o.cacheRoot, 'ingest'),
      expect: 'parquet',
      label: `${spec.name} ${it.period}`,
      signal: o.signal,
      noCache: o.noCache,
      retryBaseMs: o.retryBaseMs,
      onWarning: (m) => o.ui.reporter.warn(m),
    })
    return uploadMonth({
      clients,
      settings: s,
      spec,
      period: it.period,
      source: {path: src.path, sha256: src.sha256, url: it.url, fromCache: src.fromCache, format: 'parquet'},
      layout,
      force: o.force,
      cacheRoot: o.cacheRoot,
      ui: o.ui,
      signal: o.signal,
      retryBaseMs: o.retryBaseMs,
    })
  }

  const {done, error} = await pool(items, s.jobs, one, o.signal)
  const uploads = done.sort((a, b) => a.period.localeCompare(b.period))
  if (o.signal.aborted)
    throw new InterruptedError(
      'Interrupted: finished months stay in the bucket; re-run to resume the rest (upload sessions are kept).',
    )
  if (error !== undefined) {
    const e =
      error instanceof DezcError
        ? error
        : storageError(error, {bucket: s.bucket, action: 'uploading', endpoint: clients.endpoint})
    throw uploads.length > 0
      ? new DezcError({
          code: e.code,
          message: e.message,
          suggestion: [
            ...e.suggestions,
            `Done: ${uploads.map((u) => `${u.period} ${u.status}`).join(', ')} (re-running skips them).`,
          ],
          exit: e.exit,
          cause: e.cause,
          details: {...e.details, completed: uploads},
        })
      : e
  }
  const moved = uploads.filter((u) => u.status !== 'skipped')
  const seconds = (Date.now() - t0) / 1000
  const bytes = moved.reduce((a, u) => a + u.bytes, 0)
  return {
    bucket: s.bucket,
    bucketSource: s.bucketSource,
    layout,
    uploads,
    totals: {
      uploaded: moved.length,
      skipped: uploads.length - moved.length,
      bytes,
      seconds: round(seconds),
      mbPerSecond: round(bytes / 1e6 / Math.max(seconds, 0.001)),
    },
  }
}

const round = (n: number) => Math.round(n * 100) / 100
const rate = (bytes: number, ms: number) => `${round(bytes / 1e6 / Math.max(ms / 1000, 0.001))} MB/s`

/** --dry-run: read the bucket when credentials allow, download and write nothing. */
export async function lakeUploadDryRun(o: UploadOptions): Promise<LakeDryRun> {
  const {spec, items} = lakeItems(o)
  const layout: Layout = o.asIs ? 'as-is' : 'canonical'
  let remote: Map<string, RemoteObject> | undefined
  try {
    const clients = await openStorage({apiRoot: o.settings.apiRoot, env: o.env})
    await checkBucket(clients, o.settings.bucket)
    remote = new Map(
      (await listObjects(clients.storage.bucket(o.settings.bucket), `${spec.name}/`)).map((r) => [r.name, r]),
    )
  } catch (error) {
    if (error instanceof DezcError && error.code === 'BUCKET_NOT_FOUND') throw error
    o.ui.reporter.warn(`${(error as Error).message} Showing the plan without reading the bucket.`)
  }
  const columns = spec.columns.map(
    (c) => `CAST(${quoteDuckIdent(c.name)} AS ${duckType(c.kind)}) AS ${quoteDuckIdent(c.name)}`,
  )
  return planDryRun({
    bucket: o.settings.bucket,
    dataset: spec.name,
    layout,
    force: Boolean(o.force),
    items,
    remote,
    columns,
  })
}

export interface LsResult {
  bucket: string
  objects: LsEntry[]
  months: Record<string, string[]>
  bytes: number
}

export async function lakeLs(o: {
  settings: LakeSettings
  dataset?: string
  env?: NodeJS.ProcessEnv
}): Promise<LsResult> {
  if (o.dataset) resolveDataset(o.dataset)
  const clients = await openStorage({apiRoot: o.settings.apiRoot, env: o.env})
  await checkBucket(clients, o.settings.bucket)
  let objects: RemoteObject[]
  try {
    objects = await listObjects(clients.storage.bucket(o.settings.bucket), o.dataset ? `${o.dataset}/` : undefined)
  } catch (error) {
    throw storageError(error, {bucket: o.settings.bucket, action: 'listing objects', endpoint: clients.endpoint})
  }
  const entries: LsEntry[] = objects
    .map((r) => {
      const period = periodOfObject(r.name)
      const dataset = period ? r.name.split('/')[0] : undefined
      return {
        name: r.name,
        bytes: r.bytes,
        ...(r.updated ? {updated: r.updated} : {}),
        ...(dataset && dataset in DATASETS ? {dataset, period} : {}),
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
  return {
    bucket: o.settings.bucket,
    objects: entries,
    months: monthsByDataset(entries),
    bytes: entries.reduce((a, e) => a + e.bytes, 0),
  }
}
