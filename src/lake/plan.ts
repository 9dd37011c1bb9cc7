/**
 * Pure decisions for `dezc lake`: where each month lives in the bucket, whether an upload is
 * needed (same content => skip), and the equivalent manual commands for --dry-run. No I/O.
 */
import type {DatasetName} from '../ingest/datasets.js'

export type Layout = 'canonical' | 'as-is'

/** Custom metadata dezc sets on each object. */
export const SOURCE_KEY = 'dezc-source-sha256'
export const LAYOUT_KEY = 'dezc-layout'

/** Object name of a month: <dataset>/<dataset>_tripdata_<YYYY-MM>.parquet. */
export function objectName(dataset: string, period: string): string {
  return `${dataset}/${dataset}_tripdata_${period}.parquet`
}

/** The month in an object name laid out by objectName, if it is one. */
export function periodOfObject(name: string, dataset?: string): string | undefined {
  const m = /^([a-z]+)\/\1_tripdata_(\d{4}-\d{2})\.parquet$/.exec(name)
  if (!m || (dataset && m[1] !== dataset)) return undefined
  return m[2]
}

export interface Digests {
  /** base64, as Cloud Storage reports them. */
  md5: string
  crc32c: string
  bytes: number
}

export interface RemoteObject {
  name: string
  bytes: number
  md5?: string
  crc32c?: string
  updated?: string
  generation?: string
  metadata?: Record<string, string>
}

export type UploadAction = 'upload' | 'skip' | 'replace' | 'conflict'

/** Compare what is local with what the bucket holds. crc32c is the check composite objects have too; md5 when both sides have it. */
export function decide(
  local: Digests,
  remote: RemoteObject | undefined,
  force: boolean,
  source?: {sha256: string; layout: Layout},
): UploadAction {
  if (!remote) return 'upload'
  // The same source file written the same way is the same month, even if a rewrite's bytes differ.
  const sameSource =
    source !== undefined &&
    remote.metadata?.[SOURCE_KEY] === source.sha256 &&
    remote.metadata?.[LAYOUT_KEY] === source.layout
  const same = sameContent(local, remote) || sameSource
  if (same && !force) return 'skip'
  if (force) return 'replace'
  return 'conflict'
}

export function sameContent(local: Digests, remote: Pick<RemoteObject, 'bytes' | 'md5' | 'crc32c'>): boolean {
  if (remote.bytes !== local.bytes) return false
  if (remote.crc32c !== undefined && remote.crc32c !== local.crc32c) return false
  if (remote.md5 !== undefined && remote.md5 !== local.md5) return false
  return remote.crc32c !== undefined || remote.md5 !== undefined
}

export interface DryRunStep {
  period: string
  object: string
  source: string
  /** upload: not in the bucket; check: present, compared by checksum when the file is made; replace: --force. */
  action: 'upload' | 'check' | 'replace'
  remote?: {bytes: number; md5?: string; crc32c?: string; updated?: string}
}

export interface LakeDryRun {
  dryRun: true
  bucket: string
  layout: Layout
  /** The bucket was read (false without credentials or when it cannot be reached). */
  bucketRead: boolean
  steps: DryRunStep[]
  commands: string[]
}

const sh = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`)

/** The plan --dry-run prints: per month what would happen, and the commands that do it by hand. */
export function planDryRun(o: {
  bucket: string
  dataset: DatasetName
  layout: Layout
  force: boolean
  items: Array<{period: string; url: string}>
  remote?: Map<string, RemoteObject>
  columns: string[]
}): LakeDryRun {
  const steps: DryRunStep[] = o.items.map((it) => {
    const object = objectName(o.dataset, it.period)
    const r = o.remote?.get(object)
    const action: DryRunStep['action'] = !r ? 'upload' : o.force ? 'replace' : 'check'
    return {
      period: it.period,
      object,
      source: it.url,
      action,
      ...(r ? {remote: {bytes: r.bytes, md5: r.md5, crc32c: r.crc32c, updated: r.updated}} : {}),
    }
  })
  const commands: string[] = []
  for (const s of steps) {
    const local = `${o.dataset}_tripdata_${s.period}.parquet`
    commands.push(`curl -fL --retry 5 -C - -o ${local} ${sh(s.source)}`)
    let upload = local
    if (o.layout === 'canonical') {
      upload = `${o.dataset}_tripdata_${s.period}.canonical.parquet`
      commands.push(
        `duckdb -c ${sh(`COPY (SELECT ${o.columns.join(', ')} FROM read_parquet('${local}')) TO '${upload}' (FORMAT parquet, COMPRESSION zstd)`)}`,
      )
    }
    commands.push(
      `gcloud storage cp ${s.action === 'check' ? '--no-clobber ' : ''}${upload} gs://${o.bucket}/${s.object}`,
    )
  }
  return {dryRun: true, bucket: o.bucket, layout: o.layout, bucketRead: o.remote !== undefined, steps, commands}
}

export interface LsEntry {
  name: string
  bytes: number
  updated?: string
  dataset?: string
  period?: string
}

/** Months present per dataset, sorted, from the object names. */
export function monthsByDataset(entries: LsEntry[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const e of entries) if (e.dataset && e.period) (out[e.dataset] ??= []).push(e.period)
  for (const k of Object.keys(out)) out[k].sort()
  return out
}
