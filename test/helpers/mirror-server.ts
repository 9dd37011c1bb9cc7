/**
 * A loopback HTTP mirror for download tests: serves in-memory files with real HTTP semantics —
 * Content-Length, `Range: bytes=N-` (206 + Content-Range, 416 past the end), HEAD, 404, and Apache
 * style directory indexes for any directory holding served files. It records every request and can
 * cut a response off after N bytes (an interrupted download) or pace it (for Ctrl-C tests).
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface MirrorRequest {
  method: string
  path: string
  range?: string
  status: number
}

export interface MirrorServer {
  url: string
  port: number
  requests: MirrorRequest[]
  files: Map<string, Buffer>
  /** Cut the next `times` GETs of `path` after `bytes` bytes (the socket is destroyed). */
  cutAfter(path: string, bytes: number, times?: number): void
  /** Send `path` slowly: `chunk` bytes every `everyMs` (chunk 0 turns pacing off). */
  pace(path: string, chunk: number, everyMs: number): void
  close(): Promise<void>
}

export async function startMirror(initial: Record<string, Buffer | string> = {}): Promise<MirrorServer> {
  const files = new Map<string, Buffer>(Object.entries(initial).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]))
  const cuts = new Map<string, {bytes: number; times: number}>()
  const paces = new Map<string, {chunk: number; everyMs: number}>()
  const requests: MirrorRequest[] = []

  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const rec: MirrorRequest = {method: req.method ?? 'GET', path: urlPath, range: req.headers.range, status: 200}
    requests.push(rec)
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer) => {
      rec.status = status
      res.writeHead(status, headers)
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    const file = files.get(urlPath)
    if (!file) {
      if (urlPath.endsWith('/')) {
        const entries = listDir(files, urlPath)
        if (entries.length > 0) return send(200, {'content-type': 'text/html'}, Buffer.from(indexHtml(urlPath, entries)))
      }
      return send(404, {'content-type': 'text/html'}, Buffer.from('<html><body><h1>Not Found</h1></body></html>'))
    }
    let start = 0
    let status = 200
    const headers: Record<string, string | number> = {'accept-ranges': 'bytes', 'content-type': 'application/octet-stream'}
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    let end = file.length - 1
    if (m) {
      start = Number(m[1])
      if (m[2]) end = Math.min(Number(m[2]), end)
      if (start >= file.length) return send(416, {'content-range': `bytes */${file.length}`})
      status = 206
      headers['content-range'] = `bytes ${start}-${end}/${file.length}`
    }
    const body = file.subarray(start, end + 1)
    headers['content-length'] = body.length
    rec.status = status
    if (req.method === 'HEAD') {
      res.writeHead(status, headers)
      return res.end()
    }
    const cut = cuts.get(urlPath)
    if (cut && cut.times > 0) {
      cut.times--
      res.writeHead(status, headers)
      res.write(body.subarray(0, cut.bytes), () => setTimeout(() => res.socket?.destroy(), 20))
      return
    }
    const pace = paces.get(urlPath)
    if (pace) {
      res.writeHead(status, headers)
      let pos = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(body.subarray(pos, pos + pace.chunk))
        pos += pace.chunk
        if (pos >= body.length) {
          clearInterval(timer)
          res.end()
        }
      }, pace.everyMs)
      res.on('close', () => clearInterval(timer))
      return
    }
    res.writeHead(status, headers)
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    files,
    cutAfter: (p, bytes, times = 1) => cuts.set(p, {bytes, times}),
    pace: (p, chunk, everyMs) => void (chunk > 0 ? paces.set(p, {chunk, everyMs}) : paces.delete(p)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function listDir(files: Map<string, Buffer>, dir: string): string[] {
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
  const rows = entries.map((e) => `<tr><td valign="top"><img src="/icons/${e.endsWith('/') ? 'folder' : 'unknown'}.gif" alt="[DIR]"></td><td><a href="${e}">${e}</a></td><td align="right">2023-02-17 20:45  </td><td align="right">  - </td><td>&nbsp;</td></tr>`)
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
