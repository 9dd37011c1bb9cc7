// src/core/download.ts against a real loopback HTTP server with Range support.
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {download, type DownloadProgress} from '../../../src/core/download.js'
import {DezcError} from '../../../src/core/errors.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'

const body = randomBytes(3 * 1024 * 1024 + 17)
const sha512 = createHash('sha512').update(body).digest('hex')
let server: FileServer
let dir: string

beforeAll(async () => {
  server = await startFileServer({files: {'/f.bin': body}})
})
afterAll(async () => server.close())
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-dl-'))
  server.requests.length = 0
  return () => fs.rm(dir, {recursive: true, force: true})
})

const url = () => `${server.url}/f.bin`

async function failure(p: Promise<unknown>): Promise<DezcError> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(DezcError)
    return error as DezcError
  }
  throw new Error('expected the download to fail')
}

describe('download()', () => {
  it('downloads, verifies and reports progress up to the full size', async () => {
    const dest = path.join(dir, 'f.bin')
    const seen: DownloadProgress[] = []
    const r = await download({
      url: url(),
      dest,
      checksum: {algorithm: 'sha512', hex: sha512},
      onProgress: (p) => seen.push(p),
    })
    expect(r).toMatchObject({bytes: body.length, fromCache: false, resumedFrom: 0, digest: sha512})
    expect((await fs.readFile(dest)).equals(body)).toBe(true)
    expect(seen.at(-1)).toMatchObject({received: body.length, total: body.length})
    await expect(fs.access(`${dest}.part`)).rejects.toThrow()
  })

  it('reuses a verified file without any request (the cache)', async () => {
    const dest = path.join(dir, 'f.bin')
    await fs.writeFile(dest, body)
    const r = await download({url: url(), dest, checksum: {algorithm: 'sha512', hex: sha512}})
    expect(r.fromCache).toBe(true)
    expect(server.requests).toHaveLength(0)
  })

  it('keeps the partial file when the connection drops, and resumes with a Range request', async () => {
    const dest = path.join(dir, 'f.bin')
    server.cutAfter('/f.bin', 1_000_000)
    const e = await failure(download({url: url(), dest, checksum: {algorithm: 'sha512', hex: sha512}}))
    expect(e.code).toBe('DOWNLOAD_INTERRUPTED')
    expect(e.suggestions[0]).toMatch(/resumes/)
    const partSize = (await fs.stat(`${dest}.part`)).size
    expect(partSize).toBeGreaterThan(0)
    expect(partSize).toBeLessThan(body.length)
    await expect(fs.access(dest)).rejects.toThrow()

    const r = await download({url: url(), dest, checksum: {algorithm: 'sha512', hex: sha512}})
    expect(r.resumedFrom).toBe(partSize)
    expect(server.requests.at(-1)).toMatchObject({range: `bytes=${partSize}-`, status: 206})
    expect((await fs.readFile(dest)).equals(body)).toBe(true)
  })

  it('verifies the kept bytes too: a corrupt partial file is caught after resuming, and deleted', async () => {
    const dest = path.join(dir, 'f.bin')
    const kept = Buffer.from(body.subarray(0, 1_000_000))
    kept[12_345] ^= 0xff
    await fs.writeFile(`${dest}.part`, kept)
    const e = await failure(download({url: url(), dest, checksum: {algorithm: 'sha512', hex: sha512}}))
    expect(e.code).toBe('CHECKSUM_MISMATCH')
    expect(server.requests.at(-1)).toMatchObject({range: 'bytes=1000000-', status: 206})
    expect(await fs.readdir(dir)).toEqual([])
  })

  it('restarts from zero when the partial file is already complete but unverified (416 -> verify)', async () => {
    const dest = path.join(dir, 'f.bin')
    await fs.writeFile(`${dest}.part`, body)
    const r = await download({url: url(), dest, checksum: {algorithm: 'sha512', hex: sha512}})
    expect(r.bytes).toBe(body.length)
    expect(server.requests[0].status).toBe(416)
  })

  it('deletes the file and fails on a checksum mismatch', async () => {
    const dest = path.join(dir, 'f.bin')
    const e = await failure(download({url: url(), dest, checksum: {algorithm: 'sha512', hex: 'ab'.repeat(64)}}))
    expect(e.code).toBe('CHECKSUM_MISMATCH')
    expect(await fs.readdir(dir)).toEqual([])
  })

  it('a 404 is a clear error naming the URL', async () => {
    const e = await failure(
      download({url: `${server.url}/nope.bin`, dest: path.join(dir, 'x'), hint: 'Check --some-flag.'}),
    )
    expect(e.code).toBe('DOWNLOAD_FAILED')
    expect(e.message).toContain('/nope.bin answered HTTP 404')
    // The caller's hint (which setting holds the URL) follows the generic advice.
    expect(e.suggestions).toEqual(['The file is not on that server: check the URL.', 'Check --some-flag.'])
  })

  it('an unreachable mirror is a clear error', async () => {
    const closed = await startFileServer()
    await closed.close()
    const e = await failure(download({url: `${closed.url}/f.bin`, dest: path.join(dir, 'x')}))
    expect(e.code).toBe('DOWNLOAD_FAILED')
    expect(e.message).toContain(`Cannot reach ${closed.url} `)
    expect(e.message).toContain('ECONNREFUSED')
    expect(e.suggestions).toEqual(['Check the network and the URL; a re-run resumes any partial download.'])
  })

  it('stops on abort and keeps what it has for the next attempt', async () => {
    const dest = path.join(dir, 'f.bin')
    server.pace('/f.bin', 64 * 1024, 20)
    const ac = new AbortController()
    const p = download({
      url: url(),
      dest,
      checksum: {algorithm: 'sha512', hex: sha512},
      signal: ac.signal,
      onProgress: (pr) => {
        if (pr.received > 300_000) ac.abort()
      },
    })
    const e = await failure(p)
    expect(e.code).toBe('INTERRUPTED')
    expect((await fs.stat(`${dest}.part`)).size).toBeGreaterThan(300_000)
  })
})
