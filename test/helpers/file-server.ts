/**
 * A real HTTP file server on loopback for download tests: serves in-memory or on-disk files by
 * path with ETag, Last-Modified, HEAD and single-range (bytes=N-[M]) support, and can misbehave on
 * purpose: cut the connection mid-body, answer 403/404 for missing files (the TLC CDN answers 403),
 * or fail with 5xx a number of times. Records every request.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface ServedFile {
  /** File contents, or a path on disk (read per request). */
  body?: Buffer
  file?: string
  /** Cut the connection after sending this many body bytes, for the next `times` GETs (default 1). */
  cutAfter?: {bytes: number; times?: number}
  /** Answer this status for the next `times` requests (default 1), e.g. 503. */
  failWith?: {status: number; times?: number}
  /** Do not send Content-Length (chunked), e.g. to bypass free-space checks. */
  chunked?: boolean
  /** Ignore Range headers (always 200 with the whole body). */
  noRanges?: boolean
  /** Hold each GET this long before sending the body (to make concurrent downloads observable). */
  delayMs?: number
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

export interface FileServer {
  url: string
  port: number
  files: Map<string, ServedFile>
  requests: RequestLog[]
  /** Most GET bodies in flight at the same time so far. */
  readonly maxInFlight: number
  /** Status for unknown paths (CloudFront says 403). */
  missingStatus: number
  set(path: string, file: ServedFile): void
  close(): Promise<void>
}

function contents(f: ServedFile): Buffer {
  return f.body ?? fs.readFileSync(f.file!)
}

/** `host`: where to listen (default 127.0.0.1; '0.0.0.0' lets containers reach it through their gateway). */
export async function startFileServer(host = '127.0.0.1'): Promise<FileServer> {
  const files = new Map<string, ServedFile>()
  const requests: RequestLog[] = []
  const state = {missingStatus: 403, inFlight: 0, maxInFlight: 0}
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const log: RequestLog = {method: req.method ?? 'GET', path: url.pathname, range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0, remote: req.socket.remoteAddress, ...(req.headers.authorization ? {authorization: req.headers.authorization} : {})}
    requests.push(log)
    const send = (status: number, headers: Record<string, string | number> = {}, body?: Buffer) => {
      log.status = status
      res.writeHead(status, headers)
      res.end(body)
    }
    const f = files.get(decodeURIComponent(url.pathname))
    if (!f) return send(state.missingStatus, {'content-type': 'application/xml'}, Buffer.from('<Error><Code>AccessDenied</Code></Error>'))
    if (f.failWith && (f.failWith.times ?? 1) > 0) {
      f.failWith.times = (f.failWith.times ?? 1) - 1
      return send(f.failWith.status, {}, Buffer.from('try later'))
    }
    const body = contents(f)
    const etag = `"${createHash('md5').update(body).digest('hex')}"`
    const lastModified = new Date(Date.UTC(2022, 5, 30, 12, 0, 0) + body.length).toUTCString()
    const base: Record<string, string | number> = {etag, 'last-modified': lastModified, 'accept-ranges': f.noRanges ? 'none' : 'bytes', 'content-type': 'application/octet-stream'}
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
      base['content-range'] = `bytes ${start}-${end}/${body.length}`
    }
    const slice = body.subarray(start, end + 1)
    if (!f.chunked) base['content-length'] = slice.length
    log.status = status
    res.writeHead(status, base)
    if (req.method === 'HEAD') return res.end()
    if (f.delayMs && req.method === 'GET') {
      state.inFlight++
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight)
      res.once('close', () => state.inFlight--)
      setTimeout(() => res.end(slice), f.delayMs)
      return
    }
    if (f.cutAfter && req.method === 'GET' && (f.cutAfter.times ?? 1) > 0) {
      f.cutAfter.times = (f.cutAfter.times ?? 1) - 1
      res.write(slice.subarray(0, f.cutAfter.bytes), () => {
        // Let the bytes leave, then drop the connection without finishing the body.
        setTimeout(() => res.socket?.destroy(), 50)
      })
      return
    }
    res.end(slice)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    files,
    requests,
    get maxInFlight() {
      return state.maxInFlight
    },
    get missingStatus() {
      return state.missingStatus
    },
    set missingStatus(v: number) {
      state.missingStatus = v
    },
    set(path: string, file: ServedFile) {
      files.set(path, file)
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
    },
  }
}
