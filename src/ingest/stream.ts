/**
 * Loading a csv.gz month while it downloads. The download writes the cache's `.part` exactly as
 * before (resume with Range/If-Range, retries, sha256, lock, magic check); a follower reads that
 * file as it grows, node's zlib gunzips it, the first rows become a small sample file that DuckDB
 * describes and sniffs as it would the whole file (so the canonical schema, drift handling and
 * casts are the same code as for a local file), and the whole decompressed stream flows through a
 * FIFO into DuckDB's `read_csv` with the sniffed dialect and column types. The loader commits only
 * after `complete` resolved: every byte arrived, the gzip trailer checked, the cached copy whole.
 * A cut the retries cannot mend fails `complete`, so the transaction rolls back; the `.part` stays
 * and the next run reads it from disk, then follows the resumed download.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {Readable, pipeline} from 'node:stream'
import zlib from 'node:zlib'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from '../core/errors.js'
import type {FileFacts} from './download.js'
import {corruptFileError} from './reader.js'

/** Rows DuckDB's sniffer samples (reader.ts: sample_size = 20480), plus the header. */
const SAMPLE_LINES = 20_481
/** The sample never grows past this, whatever the line length. */
const SAMPLE_MAX_BYTES = 16 << 20
const READ_CHUNK = 1 << 20

/** What one download has done so far, for a reader that follows its `.part` file. */
export class DownloadTracker {
  /** resumedFrom of each attempt that wrote body bytes, in order. */
  readonly attempts: number[] = []
  part?: string
  received = 0
  total?: number
  result?: FileFacts
  error?: unknown
  settled = false
  private waiters: Array<() => void> = []

  readonly onAttempt = (a: {part: string; resumedFrom: number; total?: number}): void => {
    this.part = a.part
    this.attempts.push(a.resumedFrom)
    this.total = a.total ?? this.total
    this.wake()
  }

  readonly onProgress = (bytes: number, total?: number): void => {
    this.received = bytes
    this.total = total ?? this.total
    this.wake()
  }

  track(p: Promise<FileFacts>): Promise<FileFacts> {
    p.then(
      (r) => {
        this.result = r
        this.settled = true
        this.wake()
      },
      (error) => {
        this.error = error
        this.settled = true
        this.wake()
      },
    )
    return p
  }

  /** Resolves at the next change, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      this.waiters.push(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }
}

/**
 * The download started again from byte 0 (a server without Range support, or a new version of the
 * file) after some bytes were already loaded, or the finished file is not the one a parquet footer
 * was read from: the streamed load rolls back and the service loads the file once it is complete,
 * as without streaming.
 */
export class StreamRestartedError extends DezcError {
  constructor(
    label: string,
    /** What happened, for the warning that the month is loaded from the complete file instead. */
    readonly reason = 'the download restarted from the beginning (the server did not resume it)',
  ) {
    super({
      code: 'SOURCE_CHANGED',
      message: `${label}: ${reason} while it was being loaded; nothing was committed.`,
      suggestion: 'Re-run the same command: the file is downloaded and loaded from the start.',
      exit: ExitCode.FAILURE,
    })
  }
}

/**
 * The bytes of a download from offset 0, as they reach the disk: first what an earlier run left in
 * `.part`, then what arrives. Ends when the download finished (checking the size), throws when it
 * failed or restarted below what was already read.
 */
export async function* followDownload(t: DownloadTracker, label: string, signal: AbortSignal): AsyncGenerator<Buffer> {
  let fh: fsp.FileHandle | undefined
  let pos = 0
  let seen = 0
  try {
    for (;;) {
      if (signal.aborted) throw new InterruptedError()
      if (t.attempts.length > seen) {
        if (Math.min(...t.attempts.slice(seen)) < pos) throw new StreamRestartedError(label)
        seen = t.attempts.length
        // A restart from zero may have replaced the file: read the current one from where we are.
        await fh?.close()
        fh = undefined
      }
      if (t.settled && t.error !== undefined) throw t.error
      if (!fh) {
        const file = t.settled ? t.result?.path : t.part
        if (!file) {
          await t.changed(50)
          continue
        }
        try {
          fh = await fsp.open(file, 'r')
        } catch (error) {
          // Renamed from .part to the cached name between two looks: try again with the new name.
          if (systemErrorCode(error) !== 'ENOENT') throw error
          await t.changed(20)
          continue
        }
      }
      const settledBefore = t.settled
      const buf = Buffer.allocUnsafe(READ_CHUNK)
      const {bytesRead} = await fh.read(buf, 0, READ_CHUNK, pos)
      if (bytesRead > 0) {
        pos += bytesRead
        yield buf.subarray(0, bytesRead)
        continue
      }
      if (settledBefore) {
        if (t.result && pos !== t.result.bytes)
          throw new DezcError({
            code: 'SOURCE_CHANGED',
            message: `${label}: read ${pos} bytes of a ${t.result.bytes}-byte download; nothing was committed.`,
            suggestion: 'Re-run with --no-cache to download it again.',
            exit: ExitCode.FAILURE,
          })
        return
      }
      await t.changed(25)
    }
  } finally {
    await fh?.close().catch(() => {})
  }
}

export interface CsvStream {
  /** The header and first rows as a CSV file: what DuckDB describes, sniffs and binds the casts on. */
  samplePath: string
  /** The FIFO DuckDB reads the whole decompressed stream from (header included). */
  pipePath: string
  /** Every byte arrived, gunzipped and went into the pipe: the cached file's facts. */
  complete: Promise<FileFacts>
  /** The first failure of the download or the stream, once there is one. */
  error(): unknown
  /** Decompressed bytes handed to DuckDB so far. */
  readonly bytesOut: number
  /** Stop everything still running and remove the sample and the pipe. */
  close(): Promise<void>
}

/** Thrown when this system has no FIFOs (then the month is downloaded first, as before). */
export class NoFifoError extends Error {}

async function makeFifo(file: string): Promise<void> {
  if (process.platform === 'win32') throw new NoFifoError('no FIFOs on Windows')
  const {execFile} = await import('node:child_process')
  await new Promise<void>((resolve, reject) =>
    execFile('mkfifo', ['-m', '600', file], (error) =>
      error ? reject(new NoFifoError(errorMessage(error))) : resolve(),
    ),
  )
}

/** Open the FIFO for writing once its reader (DuckDB) has opened it; undefined when closed first. */
async function openWriter(file: string, closed: () => boolean): Promise<number | undefined> {
  for (;;) {
    if (closed()) return undefined
    try {
      return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
    } catch (error) {
      if (systemErrorCode(error) !== 'ENXIO') throw error
      await new Promise((r) => setTimeout(r, 5))
    }
  }
}

/**
 * Start streaming a csv.gz download: resolves once the sample is on disk (the first rows arrived),
 * with the pump into the FIFO waiting for DuckDB to open it.
 */
export async function openCsvGzStream(o: {
  tracker: DownloadTracker
  download: Promise<FileFacts>
  label: string
  signal: AbortSignal
}): Promise<CsvStream> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'dezc-stream-'))
  const samplePath = path.join(dir, 'sample.csv')
  const pipePath = path.join(dir, 'rows.csv')
  let closed = false
  let failure: unknown
  let bytesOut = 0
  let sock: net.Socket | undefined
  const source = Readable.from(followDownload(o.tracker, o.label, o.signal), {objectMode: false})
  const gunzip = zlib.createGunzip({chunkSize: 256 << 10})
  const plain = pipeline(source, gunzip, () => {})
  const it = plain[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const fail = (error: unknown) => {
    failure ??= mapStreamError(error, o.label)
    return failure
  }
  const cleanup = async () => {
    closed = true
    source.destroy()
    gunzip.destroy()
    sock?.destroy()
    await fsp.rm(dir, {recursive: true, force: true}).catch(() => {})
  }
  try {
    await makeFifo(pipePath)
    // The sample: whole lines up to SAMPLE_LINES or SAMPLE_MAX_BYTES, or everything when shorter.
    const head: Buffer[] = []
    let headBytes = 0
    let lines = 0
    let ended = false
    while (lines < SAMPLE_LINES && headBytes < SAMPLE_MAX_BYTES) {
      const r = await it.next()
      if (r.done) {
        ended = true
        break
      }
      head.push(r.value)
      headBytes += r.value.length
      for (let i = r.value.indexOf(10); i >= 0 && lines < SAMPLE_LINES; i = r.value.indexOf(10, i + 1)) lines++
    }
    const all = Buffer.concat(head)
    const cut = ended ? all.length : all.lastIndexOf(10) + 1
    if (cut <= 0) throw corruptFileError(o.label, 'csv', new Error('no complete line in the first 16 MiB'))
    await fsp.writeFile(samplePath, all.subarray(0, cut))
    const pumped = (async () => {
      const fd = await openWriter(pipePath, () => closed)
      if (fd === undefined) throw new InterruptedError()
      sock = new net.Socket({fd, readable: false, writable: true})
      const s = sock
      let sockError: Error | undefined
      const errored = new Promise<never>((_, reject) =>
        s.on('error', (e) => {
          sockError = e
          reject(e)
        }),
      )
      errored.catch(() => {})
      const write = async (b: Buffer) => {
        if (sockError) throw sockError
        bytesOut += b.length
        if (!s.write(b)) await Promise.race([new Promise((r) => s.once('drain', r)), errored])
      }
      await write(all)
      for (;;) {
        const r = await it.next()
        if (r.done) break
        await write(r.value)
      }
      await Promise.race([new Promise<void>((resolve) => s.end(resolve)), errored])
    })()
    const complete = pumped.then(
      () => o.download,
      async (error) => {
        const cause = fail(error)
        sock?.destroy()
        // The download's own error says more than the stream's (e.g. a cut after the retries).
        await o.download.catch(() => {})
        throw o.tracker.error ?? cause
      },
    )
    complete.catch(() => {})
    return {
      samplePath,
      pipePath,
      complete,
      error: () => o.tracker.error ?? failure,
      get bytesOut() {
        return bytesOut
      },
      close: cleanup,
    }
  } catch (error) {
    await cleanup()
    if (error instanceof NoFifoError) throw error
    if (o.tracker.error !== undefined) throw o.tracker.error
    throw mapStreamError(error, o.label)
  }
}

function mapStreamError(error: unknown, label: string): unknown {
  if (error instanceof DezcError) return error
  const code = (error as {code?: string}).code
  if (typeof code === 'string' && code.startsWith('Z_')) return corruptFileError(label, 'csv', error)
  return error
}
