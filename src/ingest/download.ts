/**
 * Ingest's downloads into the cache, through the one downloader (core/download.ts: resume with
 * Range/If-Range, retries with backoff, file lock, revalidation by ETag/Last-Modified/size). What is
 * ingest's own: where a URL is cached, "not published" for 403/404 (the TLC CDN answers 403 for
 * months not out yet), and the magic-bytes check of parquet/gzip/CSV before anyone reads the file.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode, InterruptedError} from '../core/errors.js'
import {download as coreDownload, fileDigest} from '../core/download.js'
import {takeCredentials} from '../core/urls.js'

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
  /** Each attempt writing the cached `.part` (see core/download.ts): what a reader following it needs. */
  onAttempt?: (a: {part: string; resumedFrom: number; total?: number}) => void
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

/** Where a URL is cached: <root>/<host>/<path>, with unsafe characters replaced. */
export function cachePathFor(cacheRoot: string, url: string): string {
  const u = new URL(url)
  const parts = [u.host, ...u.pathname.split('/').filter(Boolean)].map((p) =>
    decodeURIComponent(p)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_'),
  )
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

export {mb} from '../core/units.js'

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
      what =
        head.toString('latin1') === 'PAR1'
          ? 'a parquet file cut short (no PAR1 footer)'
          : 'not a parquet file (no PAR1 magic)'
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
        message: downloadedFrom
          ? `${label}: what ${downloadedFrom} sent is ${what} (${size} bytes).`
          : `${label}: ${file} is ${what} (${size} bytes).`,
        suggestion: downloadedFrom
          ? ['Re-run with --no-cache to download it again; if it persists, the source serves a broken file.']
          : [
              'Check that the file is complete (copy or download it again), and that it is the parquet or CSV file of this dataset.',
            ],
        exit: ExitCode.FAILURE,
      })
    }
  } finally {
    await fh.close()
  }
}

export async function download(options: DownloadOptions): Promise<FileFacts> {
  // Credentials leave the URL before it names the cache file (core/download.ts does the same for requests).
  const url = takeCredentials(options.url).url
  const file = cachePathFor(options.cacheRoot, url)
  const warn = (m: string) => options.onWarning?.(`${options.label}: ${m}`)
  try {
    const r = await coreDownload({
      url: options.url,
      dest: file,
      label: options.label,
      signal: options.signal,
      revalidate: true,
      noCache: options.noCache,
      retries: options.retries ?? 5,
      retryBaseMs: options.retryBaseMs,
      hint: 'Check the URL (--base-url, --file).',
      httpError: (status, statusText) =>
        status === 403 || status === 404 ? notAvailableError(options.label, url, status, statusText) : undefined,
      verify: (f) => verifyMagic(f, options.expect, options.label, url),
      onProgress: (p) => options.onProgress?.(p.received, p.total),
      onAttempt: options.onAttempt,
      onWarning: warn,
      // One process at a time per cached file: a second ingest of the same month waits, then finds it cached.
      onWait: (h) => warn(`another dezc (pid ${h.pid}) is downloading ${url}; waiting for it to finish.`),
    })
    return {
      path: r.path,
      url: r.url,
      bytes: r.bytes,
      sha256: r.digest,
      etag: r.etag,
      lastModified: r.lastModified,
      fromCache: r.fromCache,
    }
  } catch (error) {
    // Other periods' failures stop this download too; that is an interruption here, not their error.
    if (options.signal.aborted) throw new InterruptedError()
    if (error instanceof DezcError && error.code === 'DISK_FULL')
      error.suggestions.push('Nothing was loaded into the database.')
    throw error
  }
}

/** Facts about a local file given with --file. */
export async function localFile(file: string, expect: Magic, label: string): Promise<FileFacts> {
  let st: fs.Stats
  try {
    st = await fsp.stat(file)
  } catch {
    throw new DezcError({
      code: 'FILE_NOT_FOUND',
      message: `--file ${file} does not exist.`,
      suggestion: 'Check the path, or pass an http(s):// URL.',
      exit: ExitCode.USAGE,
    })
  }
  if (!st.isFile())
    throw new DezcError({
      code: 'FILE_NOT_FOUND',
      message: `--file ${file} is not a regular file.`,
      suggestion: 'Pass a parquet or CSV file.',
      exit: ExitCode.USAGE,
    })
  await verifyMagic(file, expect, label)
  return {
    path: file,
    url: `file://${path.resolve(file)}`,
    bytes: st.size,
    sha256: await sha256File(file),
    lastModified: st.mtime.toUTCString(),
    fromCache: false,
  }
}
