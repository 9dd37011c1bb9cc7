/**
 * Streamed, resumable, verified downloads into the cache. A broken connection resumes with an
 * HTTP Range request (If-Range guards against a file that changed meanwhile); network errors and
 * 5xx are retried with exponential backoff; 403/404 mean "not published"; the finished file is
 * checked (size, magic bytes) before anyone reads it, then reused while the server's ETag,
 * Last-Modified and size stay the same.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from '../core/errors.js'
import {fileDigest} from '../core/download.js'
import {withFileLock} from '../core/file-lock.js'
import {takeCredentials} from '../core/urls.js'
import {sleep} from '../core/sleep.js'
import {mb} from '../core/units.js'

export type Magic = 'parquet' | 'gzip' | 'csv'

export interface DownloadOptions {
  url: string
  /** Root of dezc's download cache (cacheDir()/ingest). */
  cacheRoot: string
  expect: Magic
  /** Human name for messages, e.g. "yellow 2021-01". */
  label: string
  signal: AbortSignal
  /** Re-download even when the cached copy is current. */
  noCache?: boolean
  onProgress?: (bytes: number, total?: number) => void
  onWarning?: (message: string) => void
  retries?: number
  retryBaseMs?: number
}

export interface FileFacts {
  path: string
  url: string
  bytes: number
  sha256: string
  etag?: string
  lastModified?: string
  fromCache: boolean
}

interface Meta {
  url: string
  bytes: number
  sha256?: string
  etag?: string
  lastModified?: string
}

/** Where a URL is cached: <root>/<host>/<path>, with unsafe characters replaced. */
export function cachePathFor(cacheRoot: string, url: string): string {
  const u = new URL(url)
  const parts = [u.host, ...u.pathname.split('/').filter(Boolean)].map((p) => decodeURIComponent(p).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_'))
  return path.join(cacheRoot, ...parts)
}

export function notAvailableError(label: string, url: string, status: number, statusText: string): DezcError {
  return new DezcError({
    code: 'NOT_AVAILABLE',
    message: `${label} is not available at the source: ${url} answered ${status}${statusText ? ` ${statusText}` : ''}.`,
    suggestion: [
      'TLC publishes each month about two months after it ends (its CDN answers 403 for months not published yet): pick an earlier month.',
      'If you use a mirror (--base-url / DEZC_INGEST_BASE_URL / ingest.baseUrl), check that it has this file.',
    ],
    exit: ExitCode.FAILURE,
    details: {url, status},
  })
}

function diskFullError(label: string, dir: string, cause?: unknown, need?: number, free?: number): DezcError {
  const sizes = need !== undefined && free !== undefined ? ` (needs ${mb(need)}, ${mb(free)} free)` : ''
  return new DezcError({
    code: 'DISK_FULL',
    message: `No space left to download ${label} into ${dir}${sizes}.`,
    suggestion: ['Free some disk space, or point the cache elsewhere with DEZC_CACHE_DIR (or XDG_CACHE_HOME).', 'Nothing was loaded into the database.'],
    exit: ExitCode.FAILURE,
    cause,
  })
}

export {mb} from '../core/units.js'

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504])

async function readMeta(file: string): Promise<Meta | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as Meta
  } catch {
    return undefined
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    const st = await fsp.stat(file)
    return st.isFile() ? st.size : 0
  } catch {
    return 0
  }
}

/** sha256 of a file on disk (the one digest helper, in core/download.ts). */
export function sha256File(file: string): Promise<string> {
  return fileDigest(file, 'sha256')
}

/** Check the magic bytes: parquet starts and ends with PAR1, gzip starts 1f 8b, CSV is text. */
export async function verifyMagic(file: string, expect: Magic, label: string, downloadedFrom?: string): Promise<void> {
  const fh = await fsp.open(file, 'r')
  try {
    const {size} = await fh.stat()
    const head = Buffer.alloc(4)
    await fh.read(head, 0, 4, 0)
    let ok: boolean
    let what: string
    if (expect === 'parquet') {
      const tail = Buffer.alloc(4)
      if (size >= 12) await fh.read(tail, 0, 4, size - 4)
      ok = size >= 12 && head.toString('latin1') === 'PAR1' && tail.toString('latin1') === 'PAR1'
      what = head.toString('latin1') === 'PAR1' ? 'a parquet file cut short (no PAR1 footer)' : 'not a parquet file (no PAR1 magic)'
    } else if (expect === 'gzip') {
      ok = head[0] === 0x1f && head[1] === 0x8b
      what = 'not a gzip file'
    } else {
      ok = size > 0 && !head.subarray(0, Math.min(4, size)).includes(0)
      what = size === 0 ? 'empty' : 'binary, not CSV text'
    }
    if (!ok) {
      // A download names its URL (not the cache's internal .part file); a local --file names itself.
      throw new DezcError({
        code: 'CORRUPT_FILE',
        message: downloadedFrom ? `${label}: what ${downloadedFrom} sent is ${what} (${size} bytes).` : `${label}: ${file} is ${what} (${size} bytes).`,
        suggestion: downloadedFrom
          ? ['Re-run with --no-cache to download it again; if it persists, the source serves a broken file.']
          : ['Check that the file is complete (copy or download it again), and that it is the parquet or CSV file of this dataset.'],
        exit: ExitCode.FAILURE,
      })
    }
  } finally {
    await fh.close()
  }
}

class RetryableError extends Error {}

export async function download(options: DownloadOptions): Promise<FileFacts> {
  // User info in the URL becomes an Authorization header; messages, cache paths and facts see the clean URL.
  const {url, headers} = takeCredentials(options.url)
  const o = {...options, url, authHeaders: headers}
  const file = cachePathFor(o.cacheRoot, o.url)
  // One process at a time per cached file: a second ingest of the same month waits, then finds it cached.
  return withFileLock(file, () => downloadLocked(o, file), {
    signal: o.signal,
    onWait: (h) => o.onWarning?.(`${o.label}: another dezc (pid ${h.pid}) is downloading ${o.url}; waiting for it to finish.`),
  })
}

async function downloadLocked(o: DownloadOptions & {authHeaders: Record<string, string>}, file: string): Promise<FileFacts> {
  const metaFile = `${file}.meta.json`
  const part = `${file}.part`
  const partMetaFile = `${part}.meta.json`
  const dir = path.dirname(file)
  await fsp.mkdir(dir, {recursive: true})

  // 1. A cached copy that the server says is unchanged.
  const cached = o.noCache ? undefined : await readMeta(metaFile)
  if (cached && cached.url === o.url && (await sizeOf(file)) === cached.bytes) {
    let res: Response | undefined
    try {
      res = await fetch(o.url, {method: 'HEAD', headers: o.authHeaders, signal: o.signal, redirect: 'follow'})
    } catch (error) {
      if (o.signal.aborted) throw new InterruptedError()
      o.onWarning?.(`${o.label}: cannot reach ${o.url} (${errorMessage(error)}); using the cached copy from ${file}.`)
    }
    if (res && (res.status === 403 || res.status === 404)) throw notAvailableError(o.label, o.url, res.status, res.statusText)
    const same =
      !res ||
      (res.ok &&
        (res.headers.get('etag') ?? undefined) === cached.etag &&
        (res.headers.get('last-modified') ?? undefined) === cached.lastModified &&
        (res.headers.get('content-length') === null || Number(res.headers.get('content-length')) === cached.bytes))
    if (same) {
      await verifyMagic(file, o.expect, o.label, o.url)
      o.onProgress?.(cached.bytes, cached.bytes)
      return {path: file, url: o.url, bytes: cached.bytes, sha256: cached.sha256 ?? (await sha256File(file)), etag: cached.etag, lastModified: cached.lastModified, fromCache: true}
    }
  }
  if (o.noCache) await fsp.rm(part, {force: true})

  // 2. Download, resuming a partial file when the server supports ranges.
  const retries = o.retries ?? 5
  const base = o.retryBaseMs ?? 500
  let attempt = 0
  for (;;) {
    try {
      const facts = await downloadOnce(o, part, partMetaFile, dir)
      await verifyMagic(part, o.expect, o.label, o.url).catch(async (error) => {
        await fsp.rm(part, {force: true})
        await fsp.rm(partMetaFile, {force: true})
        throw error
      })
      const sha = await sha256File(part)
      await fsp.rename(part, file)
      await fsp.rm(partMetaFile, {force: true})
      const meta: Meta = {url: o.url, bytes: facts.bytes, sha256: sha, etag: facts.etag, lastModified: facts.lastModified}
      await fsp.writeFile(metaFile, JSON.stringify(meta, null, 2))
      return {path: file, url: o.url, bytes: facts.bytes, sha256: sha, etag: facts.etag, lastModified: facts.lastModified, fromCache: false}
    } catch (error) {
      if (o.signal.aborted) throw new InterruptedError()
      if (!(error instanceof RetryableError) || attempt >= retries) {
        if (error instanceof RetryableError) {
          throw new DezcError({
            code: 'DOWNLOAD_FAILED',
            message: `Downloading ${o.label} from ${o.url} failed after ${attempt + 1} attempts: ${error.message}`,
            suggestion: 'Check the network and re-run: the download resumes where it stopped.',
            exit: ExitCode.FAILURE,
            cause: error.cause,
          })
        }
        throw error
      }
      const delay = Math.min(base * 2 ** attempt, 15_000)
      attempt++
      o.onWarning?.(`${o.label}: ${error.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${retries + 1}).`)
      await sleep(delay, o.signal)
    }
  }
}

async function downloadOnce(o: DownloadOptions & {authHeaders: Record<string, string>}, part: string, partMetaFile: string, dir: string): Promise<{bytes: number; etag?: string; lastModified?: string}> {
  const have = await sizeOf(part)
  const partMeta = have > 0 ? await readMeta(partMetaFile) : undefined
  const validator = partMeta?.etag ?? partMeta?.lastModified
  const headers: Record<string, string> = {...o.authHeaders}
  if (have > 0 && validator && partMeta?.url === o.url) {
    headers.range = `bytes=${have}-`
    headers['if-range'] = validator
  }
  let res: Response
  try {
    res = await fetch(o.url, {headers, signal: o.signal, redirect: 'follow'})
  } catch (error) {
    if (o.signal.aborted) throw new InterruptedError()
    throw new RetryableError(`cannot connect (${errorMessage((error as Error).cause ?? error)})`, {cause: error})
  }
  if (res.status === 403 || res.status === 404) {
    await res.body?.cancel().catch(() => {})
    throw notAvailableError(o.label, o.url, res.status, res.statusText)
  }
  if (res.status === 416) {
    await res.body?.cancel().catch(() => {})
    await fsp.rm(part, {force: true})
    throw new RetryableError('the server refused to resume (416); starting over')
  }
  if (RETRYABLE.has(res.status)) {
    await res.body?.cancel().catch(() => {})
    throw new RetryableError(`the server answered ${res.status} ${res.statusText}`)
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel().catch(() => {})
    throw new DezcError({code: 'DOWNLOAD_FAILED', message: `Downloading ${o.label}: ${o.url} answered ${res.status} ${res.statusText}.`, suggestion: 'Check the URL (--base-url, --file).', exit: ExitCode.FAILURE})
  }
  const etag = res.headers.get('etag') ?? undefined
  const lastModified = res.headers.get('last-modified') ?? undefined
  let start = 0
  let total: number | undefined
  if (res.status === 206) {
    const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(res.headers.get('content-range') ?? '')
    if (!m || Number(m[1]) !== have) {
      await res.body?.cancel().catch(() => {})
      await fsp.rm(part, {force: true})
      throw new RetryableError('the server resumed at the wrong offset; starting over')
    }
    start = have
    total = m[3] === '*' ? undefined : Number(m[3])
  } else {
    const len = res.headers.get('content-length')
    total = len === null ? undefined : Number(len)
  }
  await fsp.writeFile(partMetaFile, JSON.stringify({url: o.url, bytes: total ?? 0, etag, lastModified} satisfies Meta))
  // Free-space check before writing anything.
  if (total !== undefined) {
    try {
      const st = await fsp.statfs(dir)
      const free = st.bavail * st.bsize
      if (free < total - start) {
        await res.body?.cancel().catch(() => {})
        throw diskFullError(o.label, dir, undefined, total - start, free)
      }
    } catch (error) {
      if (error instanceof DezcError) throw error
    }
  }
  let bytes = start
  let lastReport = 0
  o.onProgress?.(bytes, total)
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      const now = Date.now()
      if (now - lastReport > 200) {
        lastReport = now
        o.onProgress?.(bytes, total)
      }
      cb(null, chunk)
    },
  })
  const {Readable} = await import('node:stream')
  try {
    await pipeline(Readable.fromWeb(res.body as never), counter, fs.createWriteStream(part, {flags: start > 0 ? 'a' : 'w'}), {signal: o.signal})
  } catch (error) {
    if (o.signal.aborted) throw new InterruptedError()
    const code = systemErrorCode(error)
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
      await fsp.rm(part, {force: true}).catch(() => {})
      throw diskFullError(o.label, dir, error)
    }
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
      throw new DezcError({code: 'CACHE_NOT_WRITABLE', message: `Cannot write the download of ${o.label} to ${part} (${code}).`, suggestion: 'Fix the permissions of the cache dir, or point DEZC_CACHE_DIR elsewhere.', exit: ExitCode.FAILURE, cause: error})
    }
    throw new RetryableError(`the connection broke after ${mb(bytes)}${total ? ` of ${mb(total)}` : ''} (${errorMessage(error)})`, {cause: error})
  }
  o.onProgress?.(bytes, total)
  if (total !== undefined && bytes !== total) throw new RetryableError(`the server sent ${bytes} of ${total} bytes`)
  return {bytes, etag, lastModified}
}

/** Facts about a local file given with --file. */
export async function localFile(file: string, expect: Magic, label: string): Promise<FileFacts> {
  let st: fs.Stats
  try {
    st = await fsp.stat(file)
  } catch {
    throw new DezcError({code: 'FILE_NOT_FOUND', message: `--file ${file} does not exist.`, suggestion: 'Check the path, or pass an http(s):// URL.', exit: ExitCode.USAGE})
  }
  if (!st.isFile()) throw new DezcError({code: 'FILE_NOT_FOUND', message: `--file ${file} is not a regular file.`, suggestion: 'Pass a parquet or CSV file.', exit: ExitCode.USAGE})
  await verifyMagic(file, expect, label)
  return {path: file, url: `file://${path.resolve(file)}`, bytes: st.size, sha256: await sha256File(file), lastModified: st.mtime.toUTCString(), fromCache: false}
}
