/**
 * Where `dezc ingest` writes: one interface for every warehouse, so the orchestration (validation,
 * ledger check before downloads, bounded downloads, one load at a time) is written once in
 * service.ts. Each target loads one (dataset, period) atomically and keeps the same ledger.
 */
import type {LedgerEntry, LoadOptions, LoadResult} from '../loader.js'

/** A load as the target sees it: the period, the file and the reader (no connection: the target has its own). */
export type TargetLoadOptions = Omit<LoadOptions, 'client'>

export interface IngestTarget {
  /** Where, for the summary and messages (no password). */
  where: string
  /** Loads rows while they download (`TargetLoadOptions.streamed`, csv.gz sources). */
  streams?: boolean
  /** Active ledger entries for these periods (empty when nothing was loaded yet). */
  loadedPeriods(table: string, dataset: string, periods: string[]): Promise<Map<string, LedgerEntry>>
  /** One period in one transaction: loaded, replaced (--force) or skipped; a failure leaves the table as it was. */
  load(o: TargetLoadOptions): Promise<LoadResult>
  close(): Promise<void>
}

/** The target settings: BigQuery when `bigquery` is set, a DuckDB file when `duckdbFile` is, else the Postgres URL. */
export interface TargetChoice {
  dbUrl?: string
  duckdbFile?: string
  bigquery?: import('./bigquery.js').BigQueryTargetOptions
}

/** Open the chosen target. `readOnly` (the dry run): look, never create or change anything. */
export async function openTarget(
  o: TargetChoice,
  signal: AbortSignal,
  opts: {readOnly?: boolean} = {},
): Promise<IngestTarget> {
  if (o.bigquery) {
    const {openBigQueryTarget} = await import('./bigquery.js')
    return openBigQueryTarget(o.bigquery, signal, opts)
  }
  if (o.duckdbFile) {
    const {openDuckdbTarget} = await import('./duckdb.js')
    return openDuckdbTarget(o.duckdbFile, signal, opts)
  }
  const {openPostgresTarget} = await import('./postgres.js')
  return openPostgresTarget(o.dbUrl!, signal)
}

/** The target's name for messages, without opening it. */
export async function targetWhere(o: TargetChoice): Promise<string> {
  if (o.bigquery)
    return `bigquery ${o.bigquery.settings.project}:${o.bigquery.settings.bqDataset} via gs://${o.bigquery.settings.lake?.bucket}`
  if (o.duckdbFile) return o.duckdbFile
  const {redactUrl} = await import('../../env/settings.js')
  return redactUrl(o.dbUrl!)
}
