/** A real HTTP server on a free loopback port serving in-memory files, with Range support and a request log. */
import http from 'node:http'
import type {AddressInfo} from 'node:net'

export interface StaticServer {
  url: string
  files: Map<string, Buffer>
  requests: Array<{method: string; path: string; range?: string}>
  close(): Promise<void>
}

export async function startStaticServer(files: Record<string, Buffer | string> = {}): Promise<StaticServer> {
  const map = new Map<string, Buffer>(Object.entries(files).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]))
  const requests: StaticServer['requests'] = []
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname
    const range = req.headers.range
    requests.push({method: req.method ?? 'GET', path: p, ...(range ? {range} : {})})
    const body = map.get(p)
    if (!body) {
      res.writeHead(404, {'content-type': 'text/plain'}).end('not found')
      return
    }
    const m = range?.match(/^bytes=(\d+)-$/)
    if (m) {
      const start = Number(m[1])
      if (start >= body.length) {
        res.writeHead(416, {'content-range': `bytes */${body.length}`}).end()
        return
      }
      res.writeHead(206, {'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'accept-ranges': 'bytes'})
      res.end(body.subarray(start))
      return
    }
    res.writeHead(200, {'content-length': body.length, 'accept-ranges': 'bytes'}).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    files: map,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
