/**
 * The one HTTP file server for download tests, on a free port: serves in-memory or on-disk files
 * by path with real HTTP semantics — Content-Length, ETag, Last-Modified, HEAD, single ranges
 * (`bytes=N-[M]`: 206 + Content-Range, 416 past the end, If-Range honoured), Apache-style
 * directory indexes (archive.apache.org's look) — and misbehaves on purpose: cut the connection
 * mid-body, send slowly, hold a response, answer 5xx a number of times, 403/404 for missing files
 * (the TLC CDN answers 403). Records every request (with its Authorization header).
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface ServedFile {
  /** File contents, or a path on disk (read per request). */
  body?: Buffer
  file?: string
  /**
   * Cut the connection after sending this many body bytes, for the next `times` GETs (default 1);
   * with `rate`, at this byte of the file (a resumed request is cut at the same place).
   */
  cutAfter?: {bytes: number; times?: number}
  /** Answer this status for the next `times` requests (default 1), e.g. 503. */
  failWith?: {status: number; times?: number}
  /** Do not send Content-Length (chunked), e.g. to bypass free-space checks. */
  chunked?: boolean
  /** Ignore Range headers (always 200 with the whole body). */
  noRanges?: boolean
  /** Hold each GET this long before sending the body, or the failWith status (to make concurrent downloads observable). */
  delayMs?: number
  /** Send slowly: `chunk` bytes every `everyMs` (for progress and Ctrl-C tests). */
  pace?: {chunk: number; everyMs: number}
  /** Throttle to this many bytes per second (a home link), honouring backpressure; combines with cutAfter. */
  rate?: number
}

export interface RequestLog {
  method: string
  path: string
  range?: string
  ifRange?: string
  status: number
  /** Client address (e.g. a container's, when listening beyond loopback). */
  remote?: string
  /** The Authorization header, when the client sent one. */
  authorization?: string
}

export interface FileServerOptions {
  /** Where to listen (default 127.0.0.1; '0.0.0.0' lets containers reach it through their gateway). */
  host?: string
  /** Status for unknown paths (default 404; CloudFront, in front of the TLC files, says 403). */
  missingStatus?: number
  /** Files served from the start: path -> contents. */
  files?: Record<string, Buffer | string>
  /** One link for every response: all throttled bodies (files with `rate`) share this many bytes/s. */
  linkRate?: number
}

export interface FileServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string
  port: number
  /** Served files by path; a Buffer is the same as `{body}`. */
  files: Map<string, ServedFile | Buffer>
  requests: RequestLog[]
  /** Most downloads in flight at the same time so far (GETs of files with `delayMs`; not `bytes=N-M` reads such as a parquet footer's). */
  readonly maxInFlight: number
  /** Body bytes sent so far per path (all GETs together). */
  sent: Map<string, number>
  missingStatus: number
  set(path: string, file: ServedFile | Buffer | string): void
  /** Cut the next `times` GETs of `path` after `bytes` bytes (the socket is destroyed). */
  cutAfter(path: string, bytes: number, times?: number): void
  /** Send `path` slowly: `chunk` bytes every `everyMs` (chunk 0 turns pacing off). */
  pace(path: string, chunk: number, everyMs: number): void
  close(): Promise<void>
}

function served(f: ServedFile | Buffer | string): ServedFile {
  return Buffer.isBuffer(f) ? {body: f} : typeof f === 'string' ? {body: Buffer.from(f)} : f
}

export async function startFileServer(options: FileServerOptions = {}): Promise<FileServer> {
  const files = new Map<string, ServedFile | Buffer>(
    Object.entries(options.files ?? {}).map(([k, v]) => [k, served(v)]),
  )
  const requests: RequestLog[] = []
  const sent = new Map<string, number>()
  const count = (p: string, n: number) => sent.set(p, (sent.get(p) ?? 0) + n)
  // The shared link: the time at which it is free again.
  let linkFree = 0
  const linkDue = (n: number) => {
    const now = Date.now()
    linkFree = Math.max(linkFree, now) + (n / options.linkRate!) * 1000
    return linkFree - (n / options.linkRate!) * 1000
  }
  const state = {missingStatus: options.missingStatus ?? 404, inFlight: 0, maxInFlight: 0}
  /** The entry of `path` as a ServedFile (kept in the map, so per-file options stick). */
  const entry = (p: string): ServedFile => {
    const f = served(files.get(p) ?? Buffer.alloc(0))
    files.set(p, f)
    return f
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const urlPath = decodeURIComponent(url.pathname)
    const log: RequestLog = {
      method: req.method ?? 'GET',
      path: url.pathname,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      status: 0,
      remote: req.socket.remoteAddress,
      ...(req.headers.authorization ? {authorization: req.headers.authorization} : {}),
    }
    requests.push(log)
    const send = (status: number, headers: Record<string, string | number> = {}, body?: Buffer) => {
      log.status = status
      res.writeHead(status, headers)
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const found = files.get(urlPath)
    if (!found) {
      const entries = urlPath.endsWith('/') ? listDir(files, urlPath) : []
      if (entries.length > 0) return send(200, {'content-type': 'text/html'}, Buffer.from(indexHtml(urlPath, entries)))
      if (state.missingStatus === 403)
        return send(403, {'content-type': 'application/xml'}, Buffer.from('<Error><Code>AccessDenied</Code></Error>'))
      return send(
        state.missingStatus,
        {'content-type': 'text/html'},
        Buffer.from('<html><body><h1>Not Found</h1></body></html>'),
      )
    }
    const f = served(found)
    if (f.failWith && (f.failWith.times ?? 1) > 0) {
      f.failWith.times = (f.failWith.times ?? 1) - 1
      const status = f.failWith.status
      if (f.delayMs) return void setTimeout(() => send(status, {}, Buffer.from('try later')), f.delayMs)
      return send(status, {}, Buffer.from('try later'))
    }
    const body = f.body ?? fs.readFileSync(f.file!)
    const etag = `"${createHash('md5').update(body).digest('hex')}"`
    const lastModified = new Date(Date.UTC(2022, 5, 30, 12, 0, 0) + body.length).toUTCString()
    const headers: Record<string, string | number> = {
      etag,
      'last-modified': lastModified,
      'accept-ranges': f.noRanges ? 'none' : 'bytes',
      'content-type': 'application/octet-stream',
    }
    let start = 0
    let end = body.length - 1
    let status = 200
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    const ifRange = req.headers['if-range']
    if (range && !f.noRanges && (!ifRange || ifRange === etag || ifRange === lastModified)) {
      start = Number(range[1])
      end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1
      if (start >= body.length) return send(416, {'content-range': `bytes */${body.length}`})
      status = 206
      headers['content-range'] = `bytes ${start}-${end}/${body.length}`
    }
    const slice = body.subarray(start, end + 1)
    if (!f.chunked) headers['content-length'] = slice.length
    log.status = status
    res.writeHead(status, headers)
    if (req.method === 'HEAD') return res.end()
    if (f.delayMs) {
      // Downloads only: a range with an explicit end (a parquet footer read) is not one.
      if (!range?.[2]) {
        state.inFlight++
        state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
        res.once('close', () => state.inFlight--)
      }
      setTimeout(() => res.end(slice), f.delayMs)
      return
    }
    if (f.rate) {
      let limit = slice.length
      // With a rate, cutAfter counts from the start of the file: a resumed request is cut at the same
      // byte; a range that starts past it (a parquet footer) is not cut.
      if (f.cutAfter && (f.cutAfter.times ?? 1) > 0 && start <= f.cutAfter.bytes) {
        f.cutAfter.times = (f.cutAfter.times ?? 1) - 1
        limit = Math.max(0, Math.min(limit, f.cutAfter.bytes - start))
      }
      throttled(res, slice, limit, f.rate, (n) => count(urlPath, n), options.linkRate ? linkDue : undefined)
      return
    }
    if (f.cutAfter && (f.cutAfter.times ?? 1) > 0) {
      f.cutAfter.times = (f.cutAfter.times ?? 1) - 1
      // Let the bytes leave, then drop the connection without finishing the body.
      res.write(slice.subarray(0, f.cutAfter.bytes), () => setTimeout(() => res.socket?.destroy(), 50))
      return
    }
    if (f.pace) {
      const {chunk, everyMs} = f.pace
      let pos = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(slice.subarray(pos, pos + chunk))
        pos += chunk
        if (pos >= slice.length) {
          clearInterval(timer)
          res.end()
        }
      }, everyMs)
      res.on('close', () => clearInterval(timer))
      return
    }
    count(urlPath, slice.length)
    res.end(slice)
  })
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    files,
    requests,
    sent,
    get maxInFlight() {
      return state.maxInFlight
    },
    get missingStatus() {
      return state.missingStatus
    },
    set missingStatus(v: number) {
      state.missingStatus = v
    },
    set: (p, file) => void files.set(p, served(file)),
    cutAfter: (p, bytes, times = 1) => void (entry(p).cutAfter = {bytes, times}),
    pace: (p, chunk, everyMs) => void (entry(p).pace = chunk > 0 ? {chunk, everyMs} : undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * Send `body` at `rate` bytes/s in 64 KiB writes (each waits for the socket to drain), then end, or
 * destroy the socket after `limit` bytes when that is short of the body (a cut).
 */
function throttled(
  res: http.ServerResponse,
  body: Buffer,
  limit: number,
  rate: number,
  onSent: (n: number) => void,
  /** A shared link: reserves n bytes and gives the time they may leave. */
  link?: (n: number) => number,
): void {
  const t0 = Date.now()
  let pos = 0
  let reserved: number | undefined
  const step = () => {
    if (res.destroyed) return
    if (pos >= limit) {
      if (limit >= body.length) res.end()
      else setTimeout(() => res.socket?.destroy(), 50)
      return
    }
    const n = Math.min(64 << 10, limit - pos)
    if (link) reserved ??= link(n)
    const due = (link ? reserved! : t0 + (pos / rate) * 1000) - Date.now()
    if (due > 1) return void setTimeout(step, due)
    reserved = undefined
    const chunk = body.subarray(pos, pos + n)
    pos += n
    onSent(n)
    if (res.write(chunk)) setImmediate(step)
    else res.once('drain', step)
  }
  step()
}

function listDir(files: Map<string, unknown>, dir: string): string[] {
  const names = new Set<string>()
  for (const p of files.keys()) {
    if (!p.startsWith(dir)) continue
    const rest = p.slice(dir.length)
    const slash = rest.indexOf('/')
    names.add(slash >= 0 ? rest.slice(0, slash + 1) : rest)
  }
  return [...names].sort()
}

/** What Apache httpd's mod_autoindex prints (the archive.apache.org look). */
function indexHtml(dir: string, entries: string[]): string {
  const rows = entries.map(
    (e) =>
      `<tr><td valign="top"><img src="/icons/${e.endsWith('/') ? 'folder' : 'unknown'}.gif" alt="[DIR]"></td><td><a href="${e}">${e}</a></td><td align="right">2023-02-17 20:45  </td><td align="right">  - </td><td>&nbsp;</td></tr>`,
  )
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html>
 <head>
  <title>Index of ${dir.replace(/\/$/, '')}</title>
 </head>
 <body>
<h1>Index of ${dir.replace(/\/$/, '')}</h1>
  <table>
   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>
   <tr><th colspan="5"><hr></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>
${rows.join('\n')}
   <tr><th colspan="5"><hr></th></tr>
</table>
</body></html>
`
}
