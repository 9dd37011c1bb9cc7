/**
 * The BigQuery target (`dezc ingest --to bigquery`): the one-step version of `dezc lake upload` +
 * `dezc bq load`, built from their services. Opening it runs bq's pre-flight (the dataset exists;
 * the bucket exists and is readable from the dataset's location). Per period, after ingest's own
 * download: the file is normalised to the canonical schema (DuckDB, cached), uploaded to
 * gs://<bucket>/<dataset>/<dataset>_tripdata_<YYYY-MM>.parquet (skipped when the object was written
 * from the same source file), then loaded with one load job into a staging table and one
 * transaction that replaces the month and its row in dezc_bq_ledger. No row passes through here on
 * the way into BigQuery; a failure before the COMMIT leaves the table as it was. The ledger is
 * bq's (dezc_bq_ledger), so `dezc bq load` and `dezc ingest --to bigquery` skip each other's months.
 */
import {DezcError, ExitCode} from '../../core/errors.js'
import type {Ui} from '../../core/ui.js'
import type {BqSettings} from '../../bq/settings.js'
import {DATASETS, isDatasetName} from '../datasets.js'
import type {LedgerEntry, LoadResult} from '../loader.js'
import type {IngestTarget, TargetLoadOptions} from './target.js'

export interface BigQueryTargetOptions {
  settings: BqSettings
  /** dezc's cache root (the normalised files and upload sessions live under lake/). */
  cacheRoot: string
  ui: Ui
}

/** The BigQuery table a dataset goes to (bq's naming: <dataset>_tripdata). */
export async function bigQueryTable(dataset: string): Promise<string | undefined> {
  if (!isDatasetName(dataset)) return undefined
  const {tableNames} = await import('../../bq/plan.js')
  return DATASETS[dataset].monthly ? tableNames(dataset).native : undefined
}

export async function openBigQueryTarget(
  o: BigQueryTargetOptions,
  signal: AbortSignal,
  opts: {readOnly?: boolean} = {},
): Promise<IngestTarget> {
  const s = o.settings
  const lake = s.lake!
  const bq = await import('../../bq/service.js')
  const session = await bq.preflight({settings: s, ui: o.ui, signal})
  const where = `bigquery ${s.project}:${s.bqDataset} (${session.location}) via gs://${lake.bucket}`
  const {tableInfo} = await import('../../bq/client.js')
  const ledgers = new Map<string, Map<string, import('../../bq/plan.js').LedgerRow>>()
  const ledgerOf = async (dataset: string) => {
    const spec = bq.tripDataset(dataset)
    const n = bq.loadNames(s, spec)
    let l = ledgers.get(spec.name)
    if (!l) {
      const {LEDGER_TABLE} = await import('../../bq/plan.js')
      l = (await tableInfo(session.client, s.bqDataset, LEDGER_TABLE))
        ? await bq.readLedger(session, n.ledger, n.table, signal)
        : new Map()
      ledgers.set(spec.name, l)
    }
    return {spec, n, ledger: l}
  }
  let clients: import('../../lake/storage.js').StorageClients | undefined
  let tablesReady = false

  return {
    where,
    async loadedPeriods(_table, dataset, periods) {
      const {ledger, n} = await ledgerOf(dataset)
      const out = new Map<string, LedgerEntry>()
      for (const p of periods) {
        const row = ledger.get(p)
        if (row) out.set(p, {rows: row.rows, finishedAt: '', sourceUrl: row.uri ?? n.ref})
      }
      return out
    },
    async load(l: TargetLoadOptions): Promise<LoadResult> {
      // Never reached: a dry run plans without loading. A typed error all the same, should that change.
      if (opts.readOnly)
        throw new DezcError({
          code: 'USAGE',
          message: 'Nothing is loaded into BigQuery in a dry run.',
          suggestion: 'Run the command without --dry-run to load.',
          exit: ExitCode.USAGE,
        })
      const {spec, n, ledger} = await ledgerOf(l.dataset.name)
      const {openStorage, checkObjectPermissions} = await import('../../lake/storage.js')
      const {uploadMonth} = await import('../../lake/service.js')
      if (!clients) {
        clients = await openStorage({apiRoot: lake.apiRoot})
        await checkObjectPermissions(clients, lake.bucket, (m) => o.ui.reporter.debug(m))
      }
      const up = await uploadMonth({
        clients,
        settings: lake,
        spec,
        period: l.period,
        source: {
          path: l.file.path,
          sha256: l.file.sha256,
          url: l.file.url,
          fromCache: l.file.fromCache,
          format: l.format,
        },
        layout: 'canonical',
        force: l.force,
        cacheRoot: o.cacheRoot,
        ui: o.ui,
        signal: l.signal,
      })
      if (!tablesReady) {
        await bq.ensureTables(session, n, spec, l.signal)
        tablesReady = true
      }
      const object = await session.bucket!.stat(up.object)
      if (!object)
        throw new DezcError({
          code: 'LAKE_INTEGRITY_MISMATCH',
          message: `${up.url} is not in the bucket after the upload.`,
          suggestion:
            'Re-run the same command (the upload is idempotent); if it persists, check the bucket with `dezc lake ls`.',
          exit: ExitCode.FAILURE,
        })
      const r = await bq.loadMonth({
        session,
        settings: s,
        spec,
        names: n,
        period: l.period,
        object,
        before: ledger.get(l.period),
        force: l.force,
        ui: o.ui,
        signal: l.signal,
      })
      if (r.status !== 'skipped')
        ledger.set(l.period, {month: l.period, rows: r.rows, uri: r.uri, generation: object.generation})
      return {status: r.status, rows: r.rows, missingColumns: [], addedColumns: []}
    },
    async close() {},
  }
}
