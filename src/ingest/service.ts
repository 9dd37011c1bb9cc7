/**
 * `dezc ingest`: validate everything first, check the ledger (already-loaded periods are skipped
 * without downloading), then run one listr task per period: downloads run with bounded
 * concurrency and overlap with loading; loads run one at a time (each one transaction).
 * The first failure stops the remaining periods; periods already committed stay loaded.
 */
import path from 'node:path'
import {DezcError, ExitCode, InterruptedError, usageError} from '../core/errors.js'
import {runTasks, type Task} from '../core/tasks.js'
import type {Ui} from '../core/ui.js'
import {takeCredentials} from '../core/urls.js'
import {redactUrl} from '../env/settings.js'
import {
  DATASETS,
  DATASET_NAMES,
  ZONES_PERIOD,
  isDatasetName,
  sourceUrl,
  type DatasetSpec,
  type SourceKind,
} from './datasets.js'
import {download, localFile, mb, type FileFacts, type Magic} from './download.js'
import type {LedgerEntry, LoadResult, StreamedRows} from './loader.js'
import {expandPeriods, periodFromFileName} from './periods.js'
import {MonthProgress} from './progress.js'
import type {DuckDBConnection} from '@duckdb/node-api'
import {csvStreamRelation, describeSource, duckConnect, type SourceFormat, type SourceInfo} from './reader.js'
import {openParquetStream} from './rowgroups.js'
import {DownloadTracker, NoFifoError, StreamRestartedError, openCsvGzStream, type CsvStream} from './stream.js'
import {openTarget} from './targets/target.js'

export interface IngestOptions {
  dataset: string
  periods: string[]
  /** --file PATH|URL */
  file?: string
  baseUrl: string
  source: SourceKind
  table?: string
  /** The Postgres target (unless duckdbFile is set). */
  dbUrl?: string
  /** --to duckdb: the DuckDB database file. */
  duckdbFile?: string
  /** --to bigquery: bq settings (with the bucket), the cache root and the ui. */
  bigquery?: import('./targets/bigquery.js').BigQueryTargetOptions
  force?: boolean
  strict?: boolean
  noCache?: boolean
  /** Downloads in flight at once. */
  jobs?: number
  cacheRoot: string
  ui: Ui
  signal: AbortSignal
  now?: Date
}

export interface PeriodSummary {
  dataset: string
  period: string
  table: string
  status: 'loaded' | 'replaced' | 'skipped'
  rows: number
  bytes: number
  seconds: number
  source: string
  loadId?: number
  replacedLoadId?: number
  fromCache?: boolean
  /** For skipped periods: when the existing load finished. */
  loadedAt?: string
  missingColumns?: string[]
  addedColumns?: string[]
}

export interface IngestSummary {
  target: string
  table: string
  loads: PeriodSummary[]
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/

export interface Item {
  period: string
  label: string
  url?: string
  localPath?: string
  skip?: LedgerEntry
  summary?: PeriodSummary
}

export function resolveDataset(name: string): DatasetSpec {
  if (!isDatasetName(name)) {
    throw usageError(
      'UNKNOWN_DATASET',
      `Unknown dataset "${name}".`,
      `Use one of: ${DATASET_NAMES.join(', ')} (e.g. dezc ingest yellow 2021-01).`,
    )
  }
  return DATASETS[name]
}

/** Validate the arguments and list the periods to load, each with its source. Pure (no I/O). */
export function planItems(
  o: Pick<IngestOptions, 'dataset' | 'periods' | 'file' | 'baseUrl' | 'source' | 'now'>,
  spec: DatasetSpec,
): Item[] {
  if (o.file) {
    if (o.periods.length > 1)
      throw usageError(
        'INVALID_PERIOD',
        'With --file give at most one period (the month the file holds).',
        'For example: dezc ingest yellow 2021-01 --file ./yellow.parquet',
      )
    let period: string
    if (!spec.monthly) {
      if (o.periods.length > 0)
        throw usageError(
          'INVALID_PERIOD',
          `The ${spec.name} dataset has no periods.`,
          `Run: dezc ingest ${spec.name} --file ${o.file}`,
        )
      period = ZONES_PERIOD
    } else if (o.periods.length === 1) {
      const expanded = expandPeriods(o.periods, {now: o.now})
      if (expanded.length !== 1)
        throw usageError(
          'INVALID_PERIOD',
          `With --file the period must be one month (got "${o.periods[0]}").`,
          'For example 2021-01.',
        )
      period = expanded[0]
    } else {
      period = periodFromFileName(path.basename(o.file)) ?? `file:${path.basename(o.file)}`
    }
    const isUrl = /^https?:\/\//i.test(o.file)
    return [
      {period, label: `${spec.name} ${period}`, url: isUrl ? o.file : undefined, localPath: isUrl ? undefined : o.file},
    ]
  }
  if (!spec.monthly) {
    if (o.periods.length > 0)
      throw usageError(
        'INVALID_PERIOD',
        `The ${spec.name} dataset has no periods (got ${o.periods.join(' ')}).`,
        `Run: dezc ingest ${spec.name}`,
      )
    return [{period: ZONES_PERIOD, label: spec.name, url: sourceUrl(spec.name, ZONES_PERIOD, o.baseUrl, o.source)}]
  }
  if (o.periods.length === 0)
    throw usageError(
      'MISSING_PERIOD',
      `Which months of ${spec.name}?`,
      `Give one or more periods: dezc ingest ${spec.name} 2021-01 (or 2021-01..2021-06, or 2021).`,
    )
  const periods = expandPeriods(o.periods, {now: o.now, first: spec.firstPeriod, dataset: spec.name})
  return periods.map((p) => ({
    period: p,
    label: `${spec.name} ${p}`,
    url: sourceUrl(spec.name, p, o.baseUrl, o.source),
  }))
}

function formatOf(spec: DatasetSpec, o: Pick<IngestOptions, 'source' | 'file'>): {format: SourceFormat; magic: Magic} {
  const name = (o.file ?? '').toLowerCase()
  if (o.file) {
    if (name.endsWith('.csv.gz') || name.endsWith('.gz')) return {format: 'csv', magic: 'gzip'}
    if (name.endsWith('.csv')) return {format: 'csv', magic: 'csv'}
    return {format: spec.format, magic: spec.format === 'csv' ? 'csv' : 'parquet'}
  }
  if (spec.format === 'csv') return {format: 'csv', magic: 'csv'}
  if (o.source === 'backup') return {format: 'csv', magic: 'gzip'}
  return {format: 'parquet', magic: 'parquet'}
}

class Semaphore {
  private waiting: Array<() => void> = []
  constructor(private free: number) {}
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (this.free > 0) {
      this.free--
    } else {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiting = this.waiting.filter((w) => w !== go)
          reject(signal.reason ?? new InterruptedError())
        }
        const go = () => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        }
        if (signal.aborted) return onAbort()
        signal.addEventListener('abort', onAbort, {once: true})
        this.waiting.push(go)
      })
    }
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

const fmt = (n: number) => n.toLocaleString('en-US')

/** Every check that needs no I/O, shared by the load and by --dry-run. */
export function prepareIngest(
  o: Pick<IngestOptions, 'dataset' | 'periods' | 'file' | 'baseUrl' | 'source' | 'now' | 'table' | 'dbUrl'>,
): {spec: DatasetSpec; table: string; items: Item[]; format: SourceFormat; magic: Magic} {
  const spec = resolveDataset(o.dataset)
  const table = o.table ?? spec.table
  if (!TABLE_NAME.test(table))
    throw usageError(
      'INVALID_TABLE',
      `Invalid --table "${table}".`,
      'Use a plain name or schema.name of letters, digits and "_" (e.g. --table yellowtaxidata).',
    )
  if (o.dbUrl !== undefined && !/^postgres(ql)?:\/\//.test(o.dbUrl))
    throw usageError(
      'INVALID_DB_URL',
      `--db-url must be a postgresql:// URL (got ${redactUrl(o.dbUrl)}).`,
      'For example --db-url postgresql://root:root@127.0.0.1:5432/nytaxi',
    )
  return {spec, table, items: planItems(o, spec), ...formatOf(spec, o)}
}

export async function ingest(o: IngestOptions): Promise<IngestSummary> {
  const {spec, table, items, format, magic} = prepareIngest(o)
  // Reachability, credentials and the ledger, before any download.
  const sink = await openTarget(o, o.signal)
  const target = sink.where
  try {
    if (!o.force) {
      const done = await sink.loadedPeriods(
        table,
        spec.name,
        items.map((i) => i.period),
      )
      for (const it of items) it.skip = done.get(it.period)
    }
  } catch (error) {
    await sink.close()
    throw error
  }

  const stop = new AbortController()
  const onUserAbort = () => stop.abort(new InterruptedError())
  if (o.signal.aborted) onUserAbort()
  o.signal.addEventListener('abort', onUserAbort, {once: true})
  const downloads = new Semaphore(Math.max(1, o.jobs ?? 2))
  const loads = new Semaphore(1)
  let firstError: unknown

  const taskFor = (it: Item): Task<object> => ({
    title: it.label,
    task: async (_ctx, task) => {
      if (it.skip) {
        it.summary = {
          dataset: spec.name,
          period: it.period,
          table,
          status: 'skipped',
          rows: it.skip.rows,
          bytes: 0,
          seconds: 0,
          source: it.skip.sourceUrl,
          loadId: it.skip.loadId,
          loadedAt: it.skip.finishedAt,
        }
        task.title = `${it.label}: already loaded (${fmt(it.skip.rows)} rows in ${table}${it.skip.loadId === undefined ? '' : `, load ${it.skip.loadId}`}); skipped`
        return
      }
      const t0 = Date.now()
      const progress = new MonthProgress()
      const show = () => (task.output = progress.line())
      const tracker = new DownloadTracker()
      // This month's download stops with the others when a period fails, unless it is already
      // feeding this month's streamed load: a load in flight finishes (only Ctrl-C stops it).
      const downloadStop = new AbortController()
      let feedingLoad = false
      const stopDownload = () => {
        if (!feedingLoad || o.signal.aborted) downloadStop.abort(stop.signal.reason)
      }
      if (stop.signal.aborted) stopDownload()
      stop.signal.addEventListener('abort', stopDownload, {once: true})
      o.signal.addEventListener('abort', () => downloadStop.abort(new InterruptedError()), {once: true})
      const fetchFile = async (): Promise<FileFacts> => {
        const release = await downloads.acquire(stop.signal)
        try {
          task.output = it.url ? `downloading ${it.url}` : `checking ${it.localPath}`
          const f = it.localPath
            ? await localFile(it.localPath, magic, it.label)
            : await download({
                url: it.url!,
                cacheRoot: o.cacheRoot,
                expect: magic,
                label: it.label,
                signal: downloadStop.signal,
                noCache: o.noCache,
                onProgress: (b, total) => {
                  tracker.onProgress(b, total)
                  progress.download(b, total)
                  show()
                },
                onAttempt: tracker.onAttempt,
                onWarning: (m) => o.ui.reporter.warn(m),
              })
          progress.downloaded(f.bytes, f.fromCache)
          return f
        } finally {
          release()
        }
      }
      const loadOptions = (file: FileFacts, source: SourceInfo) => ({
        table,
        dataset: spec,
        period: it.period,
        label: it.label,
        file,
        format,
        source,
        strict: Boolean(o.strict),
        force: Boolean(o.force),
        // A load in flight finishes even when another period fails; only Ctrl-C stops it.
        signal: o.signal,
        onWarning: (m: string) => o.ui.reporter.warn(m),
        onRows: (rows: number, total?: number) => {
          progress.rows(rows, total)
          show()
        },
      })
      try {
        // csv.gz goes through the stream even when complete (cached, --file): one path, and faster than
        // DuckDB's own gzip reader (zlib runs on another thread). A parquet download is loaded row
        // group by row group as it arrives (rowgroups.ts); a local or cached one is simply read.
        const streamable = !sink.streams
          ? undefined
          : magic === 'gzip' && format === 'csv'
            ? ('csv' as const)
            : magic === 'parquet' && format === 'parquet' && it.url
              ? ('parquet' as const)
              : undefined
        const fetched = tracker.track(fetchFile())
        fetched.catch(() => {})
        const duck = await duckConnect()
        /** The complete file in one load (the caller holds the database). */
        const loadWhole = async (f?: FileFacts, described?: SourceInfo) => {
          const file = f ?? (await fetched)
          const info = described ?? (await describeSource(duck, file.path, format, it.label))
          const tl = Date.now()
          return {r: await sink.load({duck, ...loadOptions(file, info)}), file, tl}
        }
        try {
          let done: {r: LoadResult; file: FileFacts; tl: number} | undefined
          if (streamable) {
            // Take the database first, then load while the bytes arrive (stream.ts, rowgroups.ts).
            progress.waiting('waiting for the database')
            show()
            const release = await loads.acquire(stop.signal)
            feedingLoad = true
            try {
              progress.waiting('starting the load')
              if (it.localPath) await fetched
              const stream = await openStream(streamable, duck, tracker, fetched, it, o)
              if (stream) {
                try {
                  const tl = Date.now()
                  // The casts are checked on the sample; the ledger gets the whole file's facts at the end.
                  const placeholder: FileFacts = {
                    ...(tracker.result ?? {
                      url: takeCredentials(it.url!).url,
                      bytes: tracker.total ?? 0,
                      sha256: '',
                      fromCache: false,
                    }),
                    path: stream.samplePath,
                  }
                  const r = await sink.load({
                    duck,
                    ...loadOptions(placeholder, stream.source),
                    streamed: stream.streamed,
                  })
                  done = {r, file: r.status === 'skipped' ? placeholder : await fetched, tl}
                } catch (error) {
                  // Restarted from byte 0 (no Range support, or a new version): rolled back; load the
                  // whole file once it is there, as without streaming.
                  if (!(error instanceof StreamRestartedError)) throw error
                  o.ui.reporter.warn(`${it.label}: ${error.reason}; loading it once it is complete.`)
                } finally {
                  await stream.close()
                }
              }
              // Not streamed (already complete, no Range support, restarted): the whole file, in this
              // same turn. Giving the database up here would send this month behind every later one
              // already waiting for it, and they would stream in its place while it waits.
              done ??= await loadWhole()
            } finally {
              release()
            }
          }
          if (!done) {
            const file = await fetched
            const info = await describeSource(duck, file.path, format, it.label)
            progress.waiting('waiting for the database')
            show()
            const release = await loads.acquire(stop.signal)
            try {
              done = await loadWhole(file, info)
            } finally {
              release()
            }
          }
          const {r, file, tl} = done
          const seconds = (Date.now() - t0) / 1000
          it.summary = {
            dataset: spec.name,
            period: it.period,
            table,
            status: r.status,
            rows: r.rows,
            bytes: file.bytes,
            seconds: Math.round(seconds * 1000) / 1000,
            source: file.url,
            loadId: r.loadId,
            replacedLoadId: r.replacedLoadId,
            fromCache: file.fromCache,
            missingColumns: r.missingColumns,
            addedColumns: r.addedColumns,
          }
          const loadS = (Date.now() - tl) / 1000
          task.title =
            r.status === 'skipped'
              ? `${it.label}: already loaded${r.loadId === undefined ? '' : ` (load ${r.loadId})`}; skipped`
              : `${it.label}: ${fmt(r.rows)} rows ${r.status === 'replaced' ? 'replaced in' : 'into'} ${table} (${mb(file.bytes)}${file.fromCache ? ' from cache' : ''}, load ${loadS.toFixed(1)} s, ${fmt(Math.round(r.rows / Math.max(loadS, 0.001)))} rows/s)`
        } finally {
          duck.closeSync()
        }
      } catch (error) {
        // This month failed (or was cancelled): its own download has nothing left to feed.
        downloadStop.abort(error)
        if (stop.signal.aborted && !o.signal.aborted && firstError !== undefined && firstError !== error) {
          task.skip(`${it.label}: cancelled (an earlier period failed)`)
          return
        }
        firstError ??= error
        stop.abort(error)
        throw error
      }
    },
  })

  try {
    await runTasks(o.ui, items.map(taskFor), {}, {concurrent: true, exitOnError: false})
  } finally {
    o.signal.removeEventListener('abort', onUserAbort)
    await sink.close()
  }
  const loadsDone = items.flatMap((i) => (i.summary ? [i.summary] : []))
  if (firstError !== undefined || o.signal.aborted) {
    const err = o.signal.aborted
      ? withDetails(
          interrupted('Interrupted: the period being loaded was rolled back; periods already committed stay loaded.'),
          loadsDone,
        )
      : firstError
    throw err instanceof DezcError ? withDetails(err, loadsDone) : err
  }
  return {target, table, loads: loadsDone}
}

interface OpenedStream {
  /** The file the schema is described and the casts are checked on (a sample, or the footer alone). */
  samplePath: string
  source: SourceInfo
  streamed: StreamedRows
  close(): Promise<void>
}

/**
 * The rows of a download in flight: a csv.gz stream, or a parquet file's row groups as they arrive;
 * undefined when the month is to be loaded once downloaded (no FIFOs on this system; a parquet
 * file already complete, or from a server without Range support).
 */
async function openStream(
  kind: 'csv' | 'parquet',
  duck: DuckDBConnection,
  tracker: DownloadTracker,
  download: Promise<FileFacts>,
  it: Item,
  o: Pick<IngestOptions, 'signal' | 'ui'>,
): Promise<OpenedStream | undefined> {
  const {label} = it
  if (kind === 'parquet') {
    const ps = await openParquetStream({tracker, download, url: it.url!, label, signal: o.signal})
    if (!('schemaPath' in ps)) {
      if (ps.fallback) o.ui.reporter.warn(`${label}: ${ps.fallback}; loading it once the download is complete.`)
      return undefined
    }
    try {
      const source = await describeSource(duck, ps.schemaPath, 'parquet', label)
      return {
        samplePath: ps.schemaPath,
        source: {...source, rows: ps.rows},
        streamed: {from: ps.from, complete: ps.complete, error: ps.error},
        close: ps.close,
      }
    } catch (error) {
      await ps.close()
      throw error
    }
  }
  let stream: CsvStream
  try {
    stream = await openCsvGzStream({tracker, download, label, signal: o.signal})
  } catch (error) {
    if (error instanceof NoFifoError) return undefined
    throw error
  }
  try {
    const source = await describeSource(duck, stream.samplePath, 'csv', label)
    const from = await csvStreamRelation(duck, stream.samplePath, stream.pipePath, label)
    return {
      samplePath: stream.samplePath,
      source,
      streamed: {from, complete: stream.complete, error: stream.error},
      close: stream.close,
    }
  } catch (error) {
    await stream.close()
    throw error
  }
}

export function interrupted(message: string): DezcError {
  return new DezcError({
    code: 'INTERRUPTED',
    message,
    suggestion: 'Re-run the same command to finish: loaded periods are skipped, downloads resume.',
    exit: ExitCode.INTERRUPTED,
  })
}

function withDetails(err: DezcError, done: PeriodSummary[]): DezcError {
  if (done.length === 0) return err
  const committed = done.filter((d) => d.status !== 'skipped').map((d) => `${d.dataset} ${d.period}`)
  const suggestion =
    committed.length > 0
      ? [...err.suggestions, `Already committed: ${committed.join(', ')} (re-running skips them).`]
      : err.suggestions
  return new DezcError({
    code: err.code,
    message: err.message,
    suggestion,
    exit: err.exit,
    cause: err.cause,
    details: {...err.details, completed: done},
  })
}
