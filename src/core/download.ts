/**
 * A resumable, verified, cached HTTP(S) download: the one way dezc fetches large files (ingest,
 * spark install, tf install).
 *
 *   await download({url, dest, checksum: {algorithm: 'sha512', hex}, signal, onProgress})
 *
 * - One process at a time per `dest` (a file lock): a second dezc waits, then reuses the result.
 * - Bytes go to `<dest>.part` and the server's ETag/Last-Modified to `<dest>.part.meta.json`; an
 *   interrupted download (network error, Ctrl-C) keeps both, and the next attempt resumes with a
 *   `Range` request (`If-Range` guards against a file that changed meanwhile; a server that answers
 *   200 restarts from zero). Without a validator a partial file is resumed only when a checksum
 *   will catch a mix of two versions.
 * - `retries` retries network errors, broken connections and 408/429/5xx with exponential backoff.
 * - The digest is computed while the bytes arrive. With a checksum, an existing `dest` that
 *   matches is reused without touching the network; with `revalidate`, `dest` is reused while a
 *   HEAD request shows the same ETag, Last-Modified and size as `<dest>.meta.json` records.
 * - Only when complete and verified is `.part` renamed to `dest`, so `dest` is always whole.
 * - User info in the URL becomes an Authorization header; messages and results see the clean URL.
 * No oclif here; errors are DezcErrors with a fix.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from './errors.js'
import {withFileLock, type LockHolder} from './file-lock.js'
import {sleep} from './sleep.js'
import {takeCredentials} from './urls.js'
import {retryBaseMs} from './test-knobs.js'
import {formatBytes} from './units.js'

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
  /** Human name for messages (default: the URL). */
  label?: string
  /** Retries after network errors, broken connections and 408/425/429/5xx answers (default 0). */
  retries?: number
  /** First backoff delay, doubled per retry up to 15 s (default 500, or the DEZC_RETRY_BASE_MS test knob). */
  retryBaseMs?: number
  /** Notes that are not errors: a retry, a cached copy used while the server is unreachable. */
  onWarning?: (message: string) => void
  /** Reuse `dest` while the server reports it unchanged (HEAD: ETag, Last-Modified, size). */
  revalidate?: boolean
  /** Ignore any cached `dest` and partial download. */
  noCache?: boolean
  /** The caller's error for an HTTP status (e.g. 403/404 = "not published"); such a status is not retried. */
  httpError?: (status: number, statusText: string) => DezcError | undefined
  /** Check a finished file (the `.part`, or a reused `dest`) before it is used; throw to reject it. */
  verify?: (file: string) => Promise<void>
  /**
   * Each attempt that writes body bytes, once `part` is open for writing: bytes before `resumedFrom`
   * are kept from earlier attempts, the rest is being (re)written. A reader following `part` while it
   * grows uses this to know which bytes it already read are still valid.
   */
  onAttempt?: (a: {part: string; resumedFrom: number; total?: number}) => void
}

export interface DownloadResult {
  path: string
  /** The URL without user info. */
  url: string
  bytes: number
  /** True when `dest` already existed and verified: nothing was fetched. */
  fromCache: boolean
  /** Bytes reused from an earlier interrupted attempt (0 when none). */
  resumedFrom: number
  /** Hex digest of the file (of `checksum.algorithm`, or sha256 when none was given). */
  digest: string
  etag?: string
  lastModified?: string
}

export class ChecksumMismatchError extends DezcError {
  constructor(url: string, expected: string, actual: string, algorithm: string) {
    super({
      code: 'CHECKSUM_MISMATCH',
      message: `The ${algorithm} checksum of ${url} does not match the published one (expected ${expected.slice(0, 16)}..., got ${actual.slice(0, 16)}...). The file was deleted; nothing was installed.`,
      suggestion: [
        'Re-run to download it again; if it keeps failing the mirror serves a corrupt or tampered file: use another --mirror.',
      ],
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

/** What `<dest>.meta.json` and `<dest>.part.meta.json` record. */
interface Meta {
  url: string
  bytes: number
  sha256?: string
  sha512?: string
  etag?: string
  lastModified?: string
}

type Resolved = DownloadOptions & {label: string; headers: Record<string, string>; algorithm: Checksum['algorithm']}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504])

/** A failure worth another attempt: `reason` for the retry note, `error` when attempts run out. */
class Retry extends Error {
  constructor(
    readonly reason: string,
    readonly error: DezcError,
  ) {
    super(reason)
  }
}

export async function download(options: DownloadOptions): Promise<DownloadResult> {
  // User info in the URL becomes an Authorization header; messages, paths and results see the clean URL.
  const auth = takeCredentials(options.url)
  const o: Resolved = {
    ...options,
    url: auth.url,
    label: options.label ?? auth.url,
    headers: {...auth.headers, ...options.headers},
    algorithm: options.checksum?.algorithm ?? 'sha256',
  }
  return withFileLock(o.dest, () => downloadLocked(o), {signal: o.signal, onWait: o.onWait})
}

async function downloadLocked(o: Resolved): Promise<DownloadResult> {
  const cached = o.noCache ? undefined : await fromCache(o)
  if (cached) return cached
  const part = `${o.dest}.part`
  if (o.noCache) await removePart(part)
  const retries = o.retries ?? 0
  const base = o.retryBaseMs ?? retryBaseMs(500)
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptDownload(o, part)
    } catch (error) {
      if (o.signal?.aborted) throw abortError(o.signal)
      if (!(error instanceof Retry)) throw error
      if (attempt >= retries) {
        if (attempt > 0) error.error.message = `${error.error.message} (${attempt + 1} attempts)`
        throw error.error
      }
      const delay = Math.min(base * 2 ** attempt, 15_000)
      o.onWarning?.(
        `${error.reason}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${retries + 1}).`,
      )
      await sleep(delay, o.signal)
    }
  }
}

/** A complete `dest` that verifies (checksum) or that the server says is unchanged (revalidate). */
async function fromCache(o: Resolved): Promise<DownloadResult | undefined> {
  const {dest, checksum} = o
  if (checksum && (await sizeOf(dest)) !== undefined) {
    const digest = await fileDigest(dest, o.algorithm)
    if (digest === checksum.hex.toLowerCase()) {
      await o.verify?.(dest)
      return {path: dest, url: o.url, bytes: (await fsp.stat(dest)).size, fromCache: true, resumedFrom: 0, digest}
    }
    await fsp.rm(dest, {force: true})
    return undefined
  }
  if (!o.revalidate) return undefined
  const meta = await readMeta(`${dest}.meta.json`)
  if (!meta || meta.url !== o.url || (await sizeOf(dest)) !== meta.bytes) return undefined
  let res: Response | undefined
  try {
    res = await fetch(o.url, {
      method: 'HEAD',
      headers: {'user-agent': 'dezc', ...o.headers},
      signal: o.signal,
      redirect: 'follow',
    })
  } catch (error) {
    if (o.signal?.aborted) throw abortError(o.signal)
    o.onWarning?.(`cannot reach ${o.url} (${errorMessage(error)}); using the cached copy from ${dest}.`)
  }
  if (res && !res.ok) {
    const mapped = o.httpError?.(res.status, res.statusText)
    if (mapped) throw mapped
  }
  const same =
    !res ||
    (res.ok &&
      (res.headers.get('etag') ?? undefined) === meta.etag &&
      (res.headers.get('last-modified') ?? undefined) === meta.lastModified &&
      (res.headers.get('content-length') === null || Number(res.headers.get('content-length')) === meta.bytes))
  if (!same) return undefined
  await o.verify?.(dest)
  o.onProgress?.({received: meta.bytes, total: meta.bytes, resumedFrom: 0})
  const digest = meta[o.algorithm] ?? (await fileDigest(dest, o.algorithm))
  return {
    path: dest,
    url: o.url,
    bytes: meta.bytes,
    fromCache: true,
    resumedFrom: 0,
    digest,
    etag: meta.etag,
    lastModified: meta.lastModified,
  }
}

async function attemptDownload(o: Resolved, part: string): Promise<DownloadResult> {
  const {url, signal} = o
  const partMetaFile = `${part}.meta.json`
  let have = (await sizeOf(part)) ?? 0
  const partMeta = have > 0 ? await readMeta(partMetaFile) : undefined
  const validator = partMeta?.url === url ? (partMeta.etag ?? partMeta.lastModified) : undefined
  // Without a validator, only a checksum can tell a resumed file from a mix of two versions.
  if ((o.expectedSize !== undefined && have > o.expectedSize) || (have > 0 && !validator && !o.checksum)) {
    await removePart(part)
    have = 0
  }

  const headers: Record<string, string> = {'user-agent': 'dezc', ...o.headers}
  if (have > 0) headers.range = `bytes=${have}-`
  if (have > 0 && validator) headers['if-range'] = validator
  let response: Response
  try {
    response = await fetch(url, {headers, signal, redirect: 'follow'})
  } catch (error) {
    if (signal?.aborted) throw abortError(signal)
    const cause = (error as {cause?: {code?: string; message?: string}}).cause
    throw new Retry(
      `cannot connect (${cause?.code ?? cause?.message ?? errorMessage(error)})`,
      networkError(url, error, o.hint),
    )
  }

  let resumedFrom = 0
  let total: number | undefined
  if (response.status === 206 && have > 0) {
    const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(response.headers.get('content-range') ?? '')
    if (!m || Number(m[1]) !== have) {
      // Resumed at the wrong offset: start over (without a Range, so this cannot loop).
      await response.body?.cancel().catch(() => {})
      await removePart(part)
      return attemptDownload(o, part)
    }
    resumedFrom = have
    total = m[3] === '*' ? undefined : Number(m[3])
  } else if (response.status === 416 && have > 0) {
    // Our .part is already the whole file (verify it), or bigger than it (restart).
    await response.body?.cancel().catch(() => {})
    total = parseContentRangeTotal(response.headers.get('content-range'))
    if (total !== undefined && total === have) return finish(o, part, have, have, partMeta ?? {url, bytes: have})
    await removePart(part)
    return attemptDownload(o, part)
  } else if (response.ok) {
    const len = response.headers.get('content-length')
    total = len === null ? undefined : Number(len)
  } else {
    await response.body?.cancel().catch(() => {})
    const mapped = o.httpError?.(response.status, response.statusText)
    if (mapped) throw mapped
    const error = httpError(url, response.status, o.hint)
    if (RETRYABLE.has(response.status))
      throw new Retry(`the server answered ${response.status} ${response.statusText}`.trim(), error)
    throw error
  }
  total ??= o.expectedSize
  const meta: Meta = {
    url,
    bytes: total ?? 0,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  }
  await fsp.mkdir(path.dirname(part), {recursive: true})
  await fsp.writeFile(partMetaFile, JSON.stringify(meta))
  if (total !== undefined) await checkFreeSpace(o, path.dirname(part), total - resumedFrom, response)

  // The digest covers the bytes kept from an earlier attempt, then the new ones as they arrive, so
  // a finished download is not read back from disk to be verified.
  const hash = createHash(o.algorithm)
  if (resumedFrom > 0)
    for await (const chunk of fs.createReadStream(part, {end: resumedFrom - 1})) hash.update(chunk as Buffer)
  const out = fs.createWriteStream(part, {flags: resumedFrom > 0 ? 'a' : 'w'})
  const writeFailed = new Promise<never>((_resolve, reject) => out.on('error', reject))
  writeFailed.catch(() => {})
  if (o.onAttempt) {
    await Promise.race([new Promise((resolve) => out.once('open', resolve)), writeFailed]).catch(() => {})
    o.onAttempt({part, resumedFrom, total})
  }
  let received = resumedFrom
  let lastReport = 0
  o.onProgress?.({received, total, resumedFrom})
  try {
    if (!response.body) throw new Error('empty response body')
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
    for await (const chunk of body) {
      if (!out.write(chunk))
        await Promise.race([new Promise<void>((resolve) => out.once('drain', resolve)), writeFailed])
      hash.update(chunk as Buffer)
      received += (chunk as Buffer).length
      const now = Date.now()
      if (now - lastReport >= 100) {
        lastReport = now
        o.onProgress?.({received, total, resumedFrom})
      }
    }
    await Promise.race([closeStream(out), writeFailed])
  } catch (error) {
    await response.body?.cancel().catch(() => {})
    await closeStream(out)
    if (signal?.aborted) throw abortError(signal)
    throw (
      (await writeError(o, part, error)) ??
      new Retry(
        `the connection broke after ${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ''} (${errorMessage(error)})`,
        interruptedError(
          url,
          `was interrupted after ${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ''} (${errorMessage(error)})`,
          received,
          total,
        ),
      )
    )
  }
  o.onProgress?.({received, total, resumedFrom})
  if (total !== undefined && received < total) {
    throw new Retry(
      `the server sent ${received} of ${total} bytes`,
      interruptedError(url, `stopped after ${formatBytes(received)} of ${formatBytes(total)}`, received, total),
    )
  }
  return finish(o, part, received, resumedFrom, meta, hash.digest('hex'))
}

async function finish(
  o: Resolved,
  part: string,
  bytes: number,
  resumedFrom: number,
  meta: Meta,
  streamed?: string,
): Promise<DownloadResult> {
  const {checksum, dest, url} = o
  if (o.expectedSize !== undefined && bytes !== o.expectedSize) {
    await removePart(part)
    throw new DezcError({
      code: 'SIZE_MISMATCH',
      message: `${url} has ${bytes} bytes, expected ${o.expectedSize}. The file was deleted.`,
      suggestion: 'Re-run to download it again, or use another mirror.',
    })
  }
  const digest = streamed ?? (await fileDigest(part, o.algorithm))
  if (checksum && digest !== checksum.hex.toLowerCase()) {
    await removePart(part)
    throw new ChecksumMismatchError(url, checksum.hex.toLowerCase(), digest, o.algorithm)
  }
  if (o.verify) {
    try {
      await o.verify(part)
    } catch (error) {
      await removePart(part)
      throw error
    }
  }
  await fsp.rename(part, dest)
  await fsp.rm(`${part}.meta.json`, {force: true})
  const done: Meta = {url, bytes, [o.algorithm]: digest, etag: meta.etag, lastModified: meta.lastModified}
  await fsp.writeFile(`${dest}.meta.json`, JSON.stringify(done, null, 2))
  return {
    path: dest,
    url,
    bytes,
    fromCache: false,
    resumedFrom,
    digest,
    etag: meta.etag,
    lastModified: meta.lastModified,
  }
}

/** Fetch a small text resource (checksum files, directory indexes). 404 gives `undefined`. */
export async function fetchText(rawUrl: string, signal?: AbortSignal, hint?: string): Promise<string | undefined> {
  const {url, headers} = takeCredentials(rawUrl)
  let response: Response
  try {
    response = await fetch(url, {headers: {'user-agent': 'dezc', ...headers}, signal, redirect: 'follow'})
  } catch (error) {
    if (signal?.aborted) throw abortError(signal)
    throw networkError(url, error, hint)
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

/**
 * Bytes [start, end] of a file of `total` bytes (a parquet footer before the rest arrives), or
 * undefined when the server does not answer with exactly that range (no Range support, another size).
 */
export async function fetchRange(
  rawUrl: string,
  start: number,
  end: number,
  total: number,
  signal: AbortSignal,
): Promise<Buffer | undefined> {
  const {url, headers} = takeCredentials(rawUrl)
  const res = await fetch(url, {
    headers: {'user-agent': 'dezc', ...headers, range: `bytes=${start}-${end}`},
    signal,
    redirect: 'follow',
  })
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '')
  if (res.status !== 206 || !m || Number(m[1]) !== start || Number(m[2]) !== end || Number(m[3]) !== total) {
    await res.body?.cancel().catch(() => {})
    return undefined
  }
  const body = Buffer.from(await res.arrayBuffer())
  return body.length === end - start + 1 ? body : undefined
}

/** Fail before writing anything when the disk cannot hold the rest of the file. */
async function checkFreeSpace(o: Resolved, dir: string, need: number, response: Response): Promise<void> {
  let free: number
  try {
    const st = await fsp.statfs(dir)
    free = st.bavail * st.bsize
  } catch {
    return
  }
  if (free >= need) return
  await response.body?.cancel().catch(() => {})
  throw diskFullError(o.label, dir, undefined, need, free)
}

/** A local write failure (disk full, permissions) as the user's problem, not the network's. */
async function writeError(o: Resolved, part: string, error: unknown): Promise<DezcError | undefined> {
  const code = systemErrorCode(error)
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    await removePart(part).catch(() => {})
    return diskFullError(o.label, path.dirname(part), error)
  }
  if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') {
    return new DezcError({
      code: 'CACHE_NOT_WRITABLE',
      message: `Cannot write the download of ${o.label} to ${part} (${code}).`,
      suggestion: 'Fix the permissions of the cache dir, or point DEZC_CACHE_DIR elsewhere.',
      exit: ExitCode.FAILURE,
      cause: error,
    })
  }
  return undefined
}

function diskFullError(label: string, dir: string, cause?: unknown, need?: number, free?: number): DezcError {
  const sizes =
    need !== undefined && free !== undefined ? ` (needs ${formatBytes(need)}, ${formatBytes(free)} free)` : ''
  return new DezcError({
    code: 'DISK_FULL',
    message: `No space left to download ${label} into ${dir}${sizes}.`,
    suggestion: ['Free some disk space, or point the cache elsewhere with DEZC_CACHE_DIR (or XDG_CACHE_HOME).'],
    exit: ExitCode.FAILURE,
    cause,
  })
}

function interruptedError(url: string, what: string, received: number, total?: number): DezcError {
  return new DezcError({
    code: 'DOWNLOAD_INTERRUPTED',
    message: `The download of ${url} ${what}.`,
    suggestion: 'Re-run the same command: the download resumes where it stopped.',
    exit: ExitCode.FAILURE,
    details: {url, received, total},
  })
}

function abortError(signal: AbortSignal): DezcError {
  return signal.reason instanceof DezcError ? signal.reason : new InterruptedError()
}

function parseContentRangeTotal(header: string | null): number | undefined {
  const m = header?.match(/\/(\d+)\s*$/)
  return m ? Number(m[1]) : undefined
}

function networkError(url: string, error: unknown, hint?: string): DezcError {
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
    suggestion: [
      status === 404 ? 'The file is not on that server: check the URL.' : 'Try again later or use another server.',
      ...(hint ? [hint] : []),
    ],
    details: {url, status},
  })
}

async function readMeta(file: string): Promise<Meta | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as Meta
  } catch {
    return undefined
  }
}

/** Size of a regular file, or undefined when there is none. */
async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const st = await fsp.stat(file)
    return st.isFile() ? st.size : undefined
  } catch {
    return undefined
  }
}

async function removePart(part: string): Promise<void> {
  await fsp.rm(part, {force: true})
  await fsp.rm(`${part}.meta.json`, {force: true})
}

function closeStream(out: fs.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (out.closed) return resolve()
    out.end(() => resolve())
  })
}

/** "12.0 MiB / 290.1 MiB (4%)" for task output. */
export function formatProgress(p: DownloadProgress): string {
  const pct = p.total ? ` (${Math.floor((p.received / p.total) * 100)}%)` : ''
  const resumed = p.resumedFrom > 0 ? `, resumed at ${formatBytes(p.resumedFrom)}` : ''
  return `${formatBytes(p.received)}${p.total ? ` / ${formatBytes(p.total)}` : ''}${pct}${resumed}`
}
