/**
 * A resumable, verified, cached HTTP(S) download: the one way dezc fetches large files.
 *
 *   await download({url, dest, checksum: {algorithm: 'sha512', hex}, signal, onProgress})
 *
 * - Bytes go to `<dest>.part`; an interrupted download (network error, Ctrl-C) keeps it, and the
 *   next call resumes with an HTTP `Range` request (a server that answers 200 restarts from zero).
 * - With a checksum, an existing `dest` that matches is reused without touching the network
 *   (the cache), and a finished download that does not match is deleted before the error.
 * - Only when complete and verified is `.part` renamed to `dest`, so `dest` is always whole.
 * No oclif here; errors are DezcErrors with a fix.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import {Readable} from 'node:stream'
import {DezcError, ExitCode, InterruptedError, errorMessage} from './errors.js'
import {withFileLock, type LockHolder} from './file-lock.js'
import {takeCredentials} from './urls.js'

export interface Checksum {
  algorithm: 'sha256' | 'sha512'
  /** Lower-case hex digest. */
  hex: string
}

export interface DownloadProgress {
  /** Bytes of the file now on disk (including resumed bytes). */
  received: number
  /** Total size when the server said (Content-Length / Content-Range). */
  total?: number
  /** Bytes that were already on disk when this attempt started. */
  resumedFrom: number
}

export interface DownloadOptions {
  url: string
  dest: string
  checksum?: Checksum
  /** Expected size in bytes; a mismatch is an error like a checksum mismatch. */
  expectedSize?: number
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** Extra request headers (e.g. User-Agent). */
  headers?: Record<string, string>
  /** Caller's advice when the server cannot be reached or answers an error, e.g. which flag sets the URL. */
  hint?: string
  /** Another dezc process is downloading the same file: this one waits for it, then reuses its result. */
  onWait?: (holder: LockHolder) => void
}

export interface DownloadResult {
  path: string
  bytes: number
  /** True when `dest` already existed and verified: nothing was fetched. */
  fromCache: boolean
  /** Bytes reused from an earlier interrupted attempt (0 when none). */
  resumedFrom: number
  /** Hex digest of the file (of `checksum.algorithm`, or sha256 when none was given). */
  digest: string
}

export class ChecksumMismatchError extends DezcError {
  constructor(url: string, expected: string, actual: string, algorithm: string) {
    super({
      code: 'CHECKSUM_MISMATCH',
      message: `The ${algorithm} checksum of ${url} does not match the published one (expected ${expected.slice(0, 16)}..., got ${actual.slice(0, 16)}...). The file was deleted; nothing was installed.`,
      suggestion: ['Re-run to download it again; if it keeps failing the mirror serves a corrupt or tampered file: use another --mirror.'],
      exit: ExitCode.FAILURE,
      details: {url, expected, actual, algorithm},
    })
  }
}

/** SHA digest of a file on disk. */
export async function fileDigest(file: string, algorithm: Checksum['algorithm']): Promise<string> {
  const hash = createHash(algorithm)
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export async function download(options: DownloadOptions): Promise<DownloadResult> {
  return withFileLock(options.dest, () => downloadLocked(options), {signal: options.signal, onWait: options.onWait})
}

async function downloadLocked(raw: DownloadOptions): Promise<DownloadResult> {
  // User info in the URL becomes an Authorization header; messages see the clean URL.
  const auth = takeCredentials(raw.url)
  const options = {...raw, url: auth.url, headers: {...auth.headers, ...raw.headers}}
  const {url, dest, checksum, signal} = options
  const algorithm = checksum?.algorithm ?? 'sha256'

  // The cache: a complete file that verifies is reused as is.
  if (checksum && (await exists(dest))) {
    const digest = await fileDigest(dest, algorithm)
    if (digest === checksum.hex.toLowerCase()) {
      const {size} = await fsp.stat(dest)
      return {path: dest, bytes: size, fromCache: true, resumedFrom: 0, digest}
    }
    await fsp.rm(dest, {force: true})
  }

  const part = `${dest}.part`
  let offset = (await exists(part)) ? (await fsp.stat(part)).size : 0
  if (options.expectedSize !== undefined && offset > options.expectedSize) {
    await fsp.rm(part, {force: true})
    offset = 0
  }

  const headers: Record<string, string> = {'user-agent': 'dezc', ...options.headers}
  if (offset > 0) headers.range = `bytes=${offset}-`
  let response: Response
  try {
    response = await fetch(url, {headers, signal, redirect: 'follow'})
  } catch (error) {
    throw networkError(url, error, signal, options.hint)
  }

  let resumedFrom = 0
  let total: number | undefined
  if (response.status === 206 && offset > 0) {
    resumedFrom = offset
    total = parseContentRangeTotal(response.headers.get('content-range'))
  } else if (response.status === 416 && offset > 0) {
    // Our .part is already the whole file (or bigger than it): verify below / restart.
    await response.body?.cancel()
    total = parseContentRangeTotal(response.headers.get('content-range'))
    if (total !== undefined && total === offset) return finish(options, part, offset, offset, algorithm)
    await fsp.rm(part, {force: true})
    return downloadLocked(options)
  } else if (response.ok) {
    offset = 0
    const len = response.headers.get('content-length')
    total = len === null ? undefined : Number(len)
  } else {
    await response.body?.cancel()
    throw httpError(url, response.status, options.hint)
  }
  total ??= options.expectedSize

  // The digest is computed as the bytes arrive (after the bytes kept from an earlier attempt), so a
  // finished download is not read back from disk to be verified.
  const hash = createHash(algorithm)
  if (resumedFrom > 0) for await (const chunk of fs.createReadStream(part, {end: resumedFrom - 1})) hash.update(chunk as Buffer)
  const out = fs.createWriteStream(part, {flags: resumedFrom > 0 ? 'a' : 'w'})
  let received = resumedFrom
  let lastReport = 0
  options.onProgress?.({received, total, resumedFrom})
  try {
    if (!response.body) throw new Error('empty response body')
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
    for await (const chunk of body) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve))
      hash.update(chunk as Buffer)
      received += (chunk as Buffer).length
      const now = Date.now()
      if (now - lastReport >= 100) {
        lastReport = now
        options.onProgress?.({received, total, resumedFrom})
      }
    }
  } catch (error) {
    await closeStream(out)
    if (signal?.aborted) throw signal.reason instanceof DezcError ? signal.reason : new InterruptedError()
    throw new DezcError({
      code: 'DOWNLOAD_INTERRUPTED',
      message: `The download of ${url} was interrupted after ${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ''} (${errorMessage(error)}).`,
      suggestion: 'Re-run the same command: the download resumes where it stopped.',
      exit: ExitCode.FAILURE,
      cause: error,
      details: {url, received, total},
    })
  }
  await closeStream(out)
  options.onProgress?.({received, total, resumedFrom})
  if (total !== undefined && received < total) {
    throw new DezcError({
      code: 'DOWNLOAD_INTERRUPTED',
      message: `The download of ${url} stopped after ${formatBytes(received)} of ${formatBytes(total)}.`,
      suggestion: 'Re-run the same command: the download resumes where it stopped.',
      details: {url, received, total},
    })
  }
  return finish(options, part, received, resumedFrom, algorithm, hash.digest('hex'))
}

async function finish(options: DownloadOptions, part: string, bytes: number, resumedFrom: number, algorithm: Checksum['algorithm'], streamed?: string): Promise<DownloadResult> {
  const {checksum, dest, url} = options
  if (options.expectedSize !== undefined && bytes !== options.expectedSize) {
    await fsp.rm(part, {force: true})
    throw new DezcError({
      code: 'SIZE_MISMATCH',
      message: `${url} has ${bytes} bytes, expected ${options.expectedSize}. The file was deleted.`,
      suggestion: 'Re-run to download it again, or use another mirror.',
    })
  }
  const digest = streamed ?? (await fileDigest(part, algorithm))
  if (checksum && digest !== checksum.hex.toLowerCase()) {
    await fsp.rm(part, {force: true})
    throw new ChecksumMismatchError(url, checksum.hex.toLowerCase(), digest, algorithm)
  }
  await fsp.rename(part, dest)
  return {path: dest, bytes, fromCache: false, resumedFrom, digest}
}

/** Fetch a small text resource (checksum files, directory indexes). 404 gives `undefined`. */
export async function fetchText(rawUrl: string, signal?: AbortSignal, hint?: string): Promise<string | undefined> {
  const {url, headers} = takeCredentials(rawUrl)
  let response: Response
  try {
    response = await fetch(url, {headers: {'user-agent': 'dezc', ...headers}, signal, redirect: 'follow'})
  } catch (error) {
    throw networkError(url, error, signal, hint)
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel()
    return undefined
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw httpError(url, response.status, hint)
  }
  return response.text()
}

function parseContentRangeTotal(header: string | null): number | undefined {
  const m = header?.match(/\/(\d+)\s*$/)
  return m ? Number(m[1]) : undefined
}

function networkError(url: string, error: unknown, signal?: AbortSignal, hint?: string): DezcError {
  if (signal?.aborted) return signal.reason instanceof DezcError ? signal.reason : new InterruptedError()
  const cause = (error as {cause?: {code?: string; message?: string}}).cause
  const detail = cause?.code ?? cause?.message ?? errorMessage(error)
  return new DezcError({
    code: 'DOWNLOAD_FAILED',
    message: `Cannot reach ${new URL(url).origin} to download ${url} (${detail}).`,
    suggestion: ['Check the network and the URL; a re-run resumes any partial download.', ...(hint ? [hint] : [])],
    exit: ExitCode.FAILURE,
    cause: error,
    details: {url},
  })
}

function httpError(url: string, status: number, hint?: string): DezcError {
  return new DezcError({
    code: 'DOWNLOAD_FAILED',
    message: `${url} answered HTTP ${status}.`,
    suggestion: [status === 404 ? 'The file is not on that server: check the URL.' : 'Try again later or use another server.', ...(hint ? [hint] : [])],
    details: {url, status},
  })
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p)
    return true
  } catch {
    return false
  }
}

function closeStream(out: fs.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (out.closed) return resolve()
    out.end(() => resolve())
  })
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${units[i]}`
}

/** "12.0 MiB / 290.1 MiB (4%)" for task output. */
export function formatProgress(p: DownloadProgress): string {
  const pct = p.total ? ` (${Math.floor((p.received / p.total) * 100)}%)` : ''
  const resumed = p.resumedFrom > 0 ? `, resumed at ${formatBytes(p.resumedFrom)}` : ''
  return `${formatBytes(p.received)}${p.total ? ` / ${formatBytes(p.total)}` : ''}${pct}${resumed}`
}
