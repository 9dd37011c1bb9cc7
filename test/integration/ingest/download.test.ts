import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createHash} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {download} from '../../../src/ingest/download.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'

let srv: FileServer
let dir: string
/** A fake parquet body: PAR1 ... PAR1, big enough to be cut mid-way. */
const body = Buffer.concat([
  Buffer.from('PAR1'),
  Buffer.from(Array.from({length: 300_000}, (_, i) => (i * 31) % 251)),
  Buffer.from('PAR1'),
])
const sha = createHash('sha256').update(body).digest('hex')

beforeAll(async () => {
  srv = await startFileServer({missingStatus: 403})
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-dl-'))
})
afterAll(async () => {
  await srv.close()
  fs.rmSync(dir, {recursive: true, force: true})
})

const opts = (url: string, extra: Partial<Parameters<typeof download>[0]> = {}) => ({
  url,
  cacheRoot: dir,
  expect: 'parquet' as const,
  label: 'yellow 2021-01',
  signal: new AbortController().signal,
  retryBaseMs: 20,
  ...extra,
})

describe('download', () => {
  it('resumes with a Range request after the connection is cut mid-body, and the file is intact', async () => {
    srv.set('/cut/yellow_tripdata_2021-01.parquet', {body, cutAfter: {bytes: 100_000}})
    const warnings: string[] = []
    const f = await download(
      opts(`${srv.url}/cut/yellow_tripdata_2021-01.parquet`, {onWarning: (m) => warnings.push(m)}),
    )
    expect(f.bytes).toBe(body.length)
    expect(f.sha256).toBe(sha)
    expect(fs.readFileSync(f.path).equals(body)).toBe(true)
    const gets = srv.requests.filter((r) => r.path === '/cut/yellow_tripdata_2021-01.parquet' && r.method === 'GET')
    expect(gets).toHaveLength(2)
    expect(gets[1].range).toMatch(/^bytes=\d+-$/)
    expect(Number(gets[1].range!.slice(6, -1))).toBeGreaterThan(0)
    expect(gets[1].status).toBe(206)
    expect(warnings.join('\n')).toMatch(/connection broke.*retrying/)
  })

  it('retries 5xx answers with backoff', async () => {
    srv.set('/flaky/f.parquet', {body, failWith: {status: 503, times: 2}})
    const f = await download(opts(`${srv.url}/flaky/f.parquet`))
    expect(f.sha256).toBe(sha)
    expect(srv.requests.filter((r) => r.path === '/flaky/f.parquet').map((r) => r.status)).toEqual([503, 503, 200])
  })

  it('reuses the cached copy while ETag, Last-Modified and size are unchanged, and downloads again when they change', async () => {
    srv.set('/cache/f.parquet', {body})
    const url = `${srv.url}/cache/f.parquet`
    const first = await download(opts(url))
    expect(first.fromCache).toBe(false)
    const second = await download(opts(url))
    expect(second.fromCache).toBe(true)
    expect(srv.requests.filter((r) => r.path === '/cache/f.parquet').map((r) => r.method)).toEqual(['GET', 'HEAD'])
    const changed = Buffer.concat([body.subarray(0, body.length - 4), Buffer.from('xxPAR1')])
    srv.set('/cache/f.parquet', {body: changed})
    const third = await download(opts(url))
    expect(third.fromCache).toBe(false)
    expect(third.bytes).toBe(changed.length)
  })

  it('names the month and the URL when the source answers 403 or 404', async () => {
    for (const status of [403, 404]) {
      srv.missingStatus = status
      const url = `${srv.url}/trip-data/yellow_tripdata_2031-01.parquet`
      const e = (await download(opts(url)).catch((error) => error)) as DezcError
      expect(e).toBeInstanceOf(DezcError)
      expect(e.code).toBe('NOT_AVAILABLE')
      expect(e.message).toContain('yellow 2021-01')
      expect(e.message).toContain(url)
      expect(e.message).toContain(String(status))
    }
    srv.missingStatus = 403
  })

  it('rejects a body that is not parquet, or a parquet file cut short, and keeps nothing in the cache', async () => {
    srv.set('/bad/html.parquet', {body: Buffer.from('<html>not here</html>')})
    srv.set('/bad/short.parquet', {body: body.subarray(0, 5000)})
    for (const p of ['bad/html.parquet', 'bad/short.parquet']) {
      const e = (await download(opts(`${srv.url}/${p}`)).catch((error) => error)) as DezcError
      expect(e.code, p).toBe('CORRUPT_FILE')
      expect(fs.readdirSync(path.join(dir, `127.0.0.1_${srv.port}`, 'bad'))).toEqual([])
    }
  })

  it('fails with DISK_FULL when the disk fills up while writing', async () => {
    srv.set('/full/f.parquet', {body, chunked: true})
    // The partial file is a symlink to /dev/full: every write fails with ENOSPC.
    const target = path.join(dir, `127.0.0.1_${srv.port}`, 'full')
    fs.mkdirSync(target, {recursive: true})
    fs.symlinkSync('/dev/full', path.join(target, 'f.parquet.part'))
    const e = (await download(opts(`${srv.url}/full/f.parquet`)).catch((error) => error)) as DezcError
    expect(e.code).toBe('DISK_FULL')
    expect(e.suggestions.join(' ')).toMatch(/DEZC_CACHE_DIR/)
  })

  it('stops at once when aborted (Ctrl-C) and keeps the partial file for a later resume', async () => {
    const big = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(3_000_000, 7), Buffer.from('PAR1')])
    srv.set('/abort/f.parquet', {body: big, cutAfter: {bytes: 1_000_000}})
    const ac = new AbortController()
    const p = download(opts(`${srv.url}/abort/f.parquet`, {signal: ac.signal, retryBaseMs: 5000}))
    await new Promise((r) => setTimeout(r, 400))
    ac.abort()
    const e = (await p.catch((error) => error)) as DezcError
    expect(e.code).toBe('INTERRUPTED')
    expect(fs.statSync(path.join(dir, `127.0.0.1_${srv.port}`, 'abort', 'f.parquet.part')).size).toBeGreaterThan(0)
  })
})
