/**
 * The real fake-gcs-server (a Go implementation of the Cloud Storage JSON API, built by
 * scripts/ensure-fake-gcs.sh from the Go module proxy) on a free loopback port, in-memory backend;
 * plus a recording HTTP proxy in front of it that can cut a request body mid-way (the "cut
 * connection" a resumable upload must survive) or hold a request until the test releases it.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {ROOT} from './cli.js'
import {freePort} from './docker.js'

const BIN_DIR = process.env.DEZC_TEST_BIN_DIR ?? '/var/cache/dezc-test/bin'

export function fakeGcsBinary(): string {
  const bin = path.join(BIN_DIR, 'fake-gcs-server')
  if (!fs.existsSync(bin) || !fs.existsSync(`${bin}.version`))
    execFileSync('bash', [path.join(ROOT, 'scripts/ensure-fake-gcs.sh')], {stdio: 'inherit'})
  return bin
}

export interface FakeGcs {
  url: string
  /** The server's process id (bench/lake reads its CPU time). */
  pid: number
  createBucket(name: string): Promise<void>
  /** Object metadata as the server reports it (undefined when missing). */
  object(bucket: string, name: string): Promise<Record<string, any> | undefined>
  /** The object's bytes. */
  media(bucket: string, name: string): Promise<Buffer>
  list(bucket: string, prefix?: string): Promise<Array<Record<string, any>>>
  stop(): Promise<void>
}

export async function startFakeGcs(): Promise<FakeGcs> {
  const bin = fakeGcsBinary()
  const port = await freePort()
  const child: ChildProcess = spawn(
    bin,
    ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory', '-log-level', 'error'],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr?.on('data', (d) => (stderr += d))
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/storage/v1/b`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (i > 100 || child.exitCode !== null) throw new Error(`fake-gcs-server did not start on ${url}: ${stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const json = async (r: Response) => {
    if (!r.ok) throw new Error(`fake-gcs-server answered ${r.status}: ${await r.text()}`)
    return r.json() as Promise<Record<string, any>>
  }
  const o = (bucket: string, name: string) => `${url}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`
  return {
    url,
    pid: child.pid!,
    async createBucket(name) {
      await json(
        await fetch(`${url}/storage/v1/b?project=test`, {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: JSON.stringify({name}),
        }),
      )
    },
    async object(bucket, name) {
      const r = await fetch(o(bucket, name))
      return r.status === 404 ? undefined : json(r)
    },
    async media(bucket, name) {
      const r = await fetch(`${o(bucket, name)}?alt=media`)
      if (!r.ok) throw new Error(`media ${name}: ${r.status}`)
      return Buffer.from(await r.arrayBuffer())
    },
    async list(bucket, prefix) {
      const r = await json(
        await fetch(`${url}/storage/v1/b/${bucket}/o${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ''}`),
      )
      return (r.items ?? []) as Array<Record<string, any>>
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await gone
      }
    },
  }
}

export interface ProxiedRequest {
  method: string
  path: string
  contentRange?: string
  authorization?: string
  /** Request body bytes forwarded upstream. */
  bodyBytes: number
  status?: number
  cut?: boolean
}

export interface CutRule {
  /** Cut the n-th (1-based) request that matches, counted from when the rule is set. */
  nth: number
  /** After forwarding this many body bytes, destroy the client's connection. */
  afterBytes: number
  match: (r: ProxiedRequest) => boolean
}

export interface GcsProxy {
  url: string
  requests: ProxiedRequest[]
  /** Cut one request body mid-way (once). */
  cut(rule: CutRule): void
  /** Hold matching requests (never forwarded) from the n-th on; resolves `held` when the first is held. */
  hold(rule: {nth: number; match: (r: ProxiedRequest) => boolean}): {held: Promise<void>}
  /**
   * Answer matching requests here instead of forwarding them: a stand-in for the parts of the API
   * fake-gcs-server does not implement (IAM's testIamPermissions), named so in the tests.
   */
  answer(rule: {match: (r: ProxiedRequest) => boolean; status: number; body: unknown}): void
  clear(): void
  close(): Promise<void>
}

/** An HTTP proxy to `upstream` that records every request and can cut or hold one. */
export async function startGcsProxy(upstream: string): Promise<GcsProxy> {
  const up = new URL(upstream)
  const requests: ProxiedRequest[] = []
  let cutRule: (CutRule & {seen: number}) | undefined
  let holdRule: {nth: number; match: (r: ProxiedRequest) => boolean; seen: number; onHeld: () => void} | undefined
  let answerRule: {match: (r: ProxiedRequest) => boolean; status: number; body: unknown} | undefined
  const server = http.createServer((req, res) => {
    const rec: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      bodyBytes: 0,
      ...(req.headers['content-range'] ? {contentRange: String(req.headers['content-range'])} : {}),
      ...(req.headers.authorization ? {authorization: req.headers.authorization} : {}),
    }
    requests.push(rec)
    if (holdRule && holdRule.match(rec) && ++holdRule.seen >= holdRule.nth) {
      holdRule.onHeld()
      return // never answered: the client waits until it is killed
    }
    if (answerRule && answerRule.match(rec)) {
      rec.status = answerRule.status
      res.writeHead(answerRule.status, {'content-type': 'application/json; charset=UTF-8'})
      res.end(JSON.stringify(answerRule.body))
      req.resume()
      return
    }
    let cutAt: number | undefined
    if (cutRule && cutRule.match(rec) && ++cutRule.seen === cutRule.nth) {
      cutAt = cutRule.afterBytes
      cutRule = undefined
    }
    const fwd = http.request(
      {host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers},
      (ur) => {
        rec.status = ur.statusCode
        res.writeHead(ur.statusCode ?? 502, ur.headers)
        ur.pipe(res)
      },
    )
    fwd.on('error', () => res.destroy())
    req.on('data', (chunk: Buffer) => {
      if (cutAt !== undefined && rec.bodyBytes + chunk.length >= cutAt) {
        const part = chunk.subarray(0, Math.max(0, cutAt - rec.bodyBytes))
        rec.bodyBytes += part.length
        fwd.write(part)
        rec.cut = true
        // Both sides see a broken connection: the client mid-body, the server a truncated body.
        req.socket.destroy()
        fwd.destroy()
        return
      }
      rec.bodyBytes += chunk.length
      fwd.write(chunk)
    })
    req.on('end', () => {
      if (!rec.cut) fwd.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cut(rule) {
      cutRule = {...rule, seen: 0}
    },
    hold(rule) {
      let onHeld!: () => void
      const held = new Promise<void>((r) => (onHeld = r))
      holdRule = {...rule, seen: 0, onHeld}
      return {held}
    },
    answer(rule) {
      answerRule = rule
    },
    clear() {
      requests.length = 0
      cutRule = undefined
      holdRule = undefined
      answerRule = undefined
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
    },
  }
}

/** PUTs that carry bytes of a resumable upload session (chunks), in order. */
export const isChunk = (r: ProxiedRequest) =>
  r.method === 'PUT' &&
  r.path.includes('upload_id=') &&
  r.contentRange !== undefined &&
  !r.contentRange.startsWith('bytes */')
