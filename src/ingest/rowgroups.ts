/**
 * Loading a parquet month row group by row group while it downloads. The download writes the
 * cache's `.part` exactly as before (one sequential GET, resume with Range/If-Range, retries,
 * sha256, lock, magic check); beside it two small Range requests fetch the footer (the last 64 KiB,
 * then the rest when the footer is longer). Each row group's byte range is known from the footer;
 * as soon as the `.part` holds all of it, its bytes are copied into a small parquet file of their
 * own (a sparse file: the column chunks at their original offsets, then the footer rewritten to
 * list that row group only, parquet-footer.ts), and DuckDB reads that file as it would a whole one:
 * DuckDB stays the decoder (streamed, 2,048-row vectors), the canonical schema and casts are bound
 * on a file holding the footer alone, and the loader's one transaction spans every row group.
 * Row groups go in the order their bytes arrive (file offset), not the footer's order.
 *
 * The load commits only after `complete`: the download finished, its size and its footer are the
 * ones the row groups were read with. A server that ignores Range (200 to the footer request), a
 * footer this code cannot split (encrypted, external column chunks) or a file already complete
 * give `undefined`: the month is then loaded once its download is complete, as before.
 */
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from '../core/errors.js'
import {fetchRange} from '../core/download.js'
import type {FileFacts} from './download.js'
import {
  footerFor,
  footerLength,
  footerTrailer,
  parseFooter,
  type ParquetFooter,
  type RowGroupInfo,
} from './parquet-footer.js'
import {relation} from './reader.js'
import {StreamRestartedError, type DownloadTracker} from './stream.js'

/** The first footer request: most footers fit (TLC months: ~10–60 KiB), else one more request. */
const TAIL_BYTES = 64 << 10
const COPY_CHUNK = 4 << 20

export interface ParquetStream {
  /** A parquet file with the footer's schema and no rows: what the casts are checked on. */
  schemaPath: string
  /** Rows according to the footer. */
  rows: number
  /** Row groups in order of arrival, as DuckDB relations, each once its bytes are on disk. */
  from: AsyncIterable<string>
  /** Every byte arrived and the file is the one the footer was read from: the cached file's facts. */
  complete: Promise<FileFacts>
  /** The download's failure, once there is one. */
  error(): unknown
  close(): Promise<void>
}

/** The footer of the file being downloaded, or why it cannot be used row group by row group. */
async function fetchFooter(
  url: string,
  total: number,
  signal: AbortSignal,
): Promise<{footer: ParquetFooter; tail: Buffer} | {reason: string}> {
  if (total < 12) return {reason: 'the file is too small to be parquet'}
  const noRange = {reason: 'the server does not serve byte ranges'}
  let tail = await fetchRange(url, Math.max(0, total - TAIL_BYTES), total - 1, total, signal)
  if (!tail) return noRange
  try {
    const len = footerLength(tail)
    if (len + 8 > total - 4) return {reason: 'the footer length is out of range'}
    if (len + 8 > tail.length) {
      const rest = await fetchRange(url, total - 8 - len, total - 1 - tail.length, total, signal)
      if (!rest) return noRange
      tail = Buffer.concat([rest, tail])
    }
    tail = tail.subarray(tail.length - 8 - len)
    const footer = parseFooter(tail.subarray(0, len))
    const dataEnd = total - 8 - len
    if (footer.rowGroups.some((g) => g.start < 4 || g.end > dataEnd))
      return {reason: 'a row group lies outside the data'}
    return {footer, tail}
  } catch (error) {
    return {reason: `its footer cannot be split into row groups (${errorMessage(error)})`}
  }
}

/**
 * Start loading a parquet download row group by row group: resolves once the footer is known, or
 * with `{fallback}` (the reason) when the month must be loaded after its download instead.
 */
export async function openParquetStream(o: {
  tracker: DownloadTracker
  download: Promise<FileFacts>
  url: string
  label: string
  signal: AbortSignal
}): Promise<ParquetStream | {fallback?: string}> {
  const t = o.tracker
  // The size comes with the download's first answer; a file already complete is simply loaded.
  while (t.attempts.length === 0 && !t.settled) {
    if (o.signal.aborted) throw new InterruptedError()
    await t.changed(100)
  }
  if (t.settled) return {}
  const total = t.total
  if (total === undefined) return {fallback: 'the server did not say how large the file is'}
  let got: Awaited<ReturnType<typeof fetchFooter>>
  try {
    got = await fetchFooter(o.url, total, o.signal)
  } catch (error) {
    if (o.signal.aborted) throw new InterruptedError()
    return {fallback: `the footer could not be fetched (${errorMessage(error)})`}
  }
  if ('reason' in got) return {fallback: got.reason}
  const {footer, tail} = got
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'dezc-rowgroups-'))
  const schemaPath = path.join(dir, 'schema.parquet')
  const empty = footerFor(footer, [])
  await fsp.writeFile(schemaPath, Buffer.concat([Buffer.from('PAR1'), empty, footerTrailer(empty.length)]))

  let closed = false
  const complete = o.download.then(async (facts) => {
    if (facts.bytes !== total) throw new StreamRestartedError(o.label, 'the file changed size')
    const fh = await fsp.open(facts.path, 'r')
    try {
      const end = Buffer.alloc(tail.length)
      await fh.read(end, 0, end.length, total - tail.length)
      if (!end.equals(tail)) throw new StreamRestartedError(o.label, 'the file changed (another footer)')
    } finally {
      await fh.close()
    }
    return facts
  })
  complete.catch(() => {})
  return {
    schemaPath,
    rows: footer.rows,
    from: rowGroupRelations({...o, footer, dir, closed: () => closed}),
    complete,
    error: () => t.error,
    close: async () => {
      closed = true
      await fsp.rm(dir, {recursive: true, force: true}).catch(() => {})
    },
  }
}

async function* rowGroupRelations(o: {
  tracker: DownloadTracker
  footer: ParquetFooter
  label: string
  signal: AbortSignal
  dir: string
  closed: () => boolean
}): AsyncGenerator<string> {
  const t = o.tracker
  // Order of arrival: the download is one sequential GET.
  const order = [...o.footer.rowGroups].sort((a, b) => a.start - b.start || a.index - b.index)
  let fh: fsp.FileHandle | undefined
  let seen = 0
  let consumed = 0
  const buf = Buffer.allocUnsafe(COPY_CHUNK)
  /** An attempt that (re)wrote bytes already read: those rows may be of another version. */
  const checkRestarts = async (upTo: number) => {
    if (t.attempts.length === seen) return
    if (Math.min(...t.attempts.slice(seen)) < upTo) throw new StreamRestartedError(o.label)
    seen = t.attempts.length
    // A restart from zero may have replaced the file: open the current one.
    await fh?.close()
    fh = undefined
  }
  const waitFor = async (end: number): Promise<fsp.FileHandle> => {
    for (;;) {
      if (o.signal.aborted || o.closed()) throw new InterruptedError()
      await checkRestarts(consumed)
      if (t.settled && t.error !== undefined) throw t.error
      if (!fh) {
        const file = t.settled ? t.result?.path : t.part
        if (file) {
          try {
            fh = await fsp.open(file, 'r')
          } catch (error) {
            // Renamed from .part to the cached name between two looks: try again with the new name.
            if (systemErrorCode(error) !== 'ENOENT') throw error
          }
        }
      }
      if (fh) {
        const settledBefore = t.settled
        const {size} = await fh.stat()
        if (size >= end) return fh
        if (settledBefore)
          throw new DezcError({
            code: 'SOURCE_CHANGED',
            message: `${o.label}: the download has ${size} bytes but its footer places a row group up to byte ${end}; nothing was committed.`,
            suggestion: 'Re-run with --no-cache to download it again.',
            exit: ExitCode.FAILURE,
          })
      }
      await t.changed(50)
    }
  }
  let previous: string | undefined
  try {
    for (const g of order) {
      const src = await waitFor(g.end)
      const file = path.join(o.dir, `rg-${g.index}.parquet`)
      await writeRowGroupFile(src, file, o.footer, g, buf)
      await checkRestarts(g.end)
      consumed = Math.max(consumed, g.end)
      // The previous row group's query has finished when the loader asks for the next one.
      if (previous) await fsp.rm(previous, {force: true})
      previous = file
      yield relation(file, 'parquet')
    }
  } finally {
    await fh?.close().catch(() => {})
    if (previous) await fsp.rm(previous, {force: true}).catch(() => {})
  }
}

/** A parquet file of one row group: PAR1, its column chunks at their original offsets (a sparse file), its footer. */
async function writeRowGroupFile(
  src: fsp.FileHandle,
  file: string,
  footer: ParquetFooter,
  g: RowGroupInfo,
  buf: Buffer,
): Promise<void> {
  const out = await fsp.open(file, 'w')
  try {
    await out.write(Buffer.from('PAR1'), 0, 4, 0)
    for (let pos = g.start; pos < g.end;) {
      const {bytesRead} = await src.read(buf, 0, Math.min(buf.length, g.end - pos), pos)
      if (bytesRead === 0) throw new Error(`short read at byte ${pos}`)
      await out.write(buf, 0, bytesRead, pos)
      pos += bytesRead
    }
    const meta = footerFor(footer, [g])
    await out.write(Buffer.concat([meta, footerTrailer(meta.length)]), 0, meta.length + 8, g.end)
  } finally {
    await out.close()
  }
}
