/**
 * PrefectApi against a loopback HTTP server that answers like a busy Prefect: a 503 is retried, a
 * SQLite "database is locked" 500 only by reads, a 4xx never; a refused connection fails at once.
 */
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {PrefectApi} from '../../../src/flow/api.js'

let server: http.Server | undefined
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

/** Serves `answers` in order (the last one repeats); returns the URL and the request count. */
async function prefect(answers: Array<[number, unknown]>): Promise<{url: string; requests: () => number}> {
  let n = 0
  server = http.createServer((req, res) => {
    const [status, body] = answers[Math.min(n++, answers.length - 1)]
    req.resume()
    res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n}
}

describe('PrefectApi', () => {
  it('a read retries 503 and a locked-database 500, then returns the answer', async () => {
    const p = await prefect([
      [503, {detail: 'busy'}],
      [500, {exception_message: 'database is locked'}],
      [200, {id: 'r1', name: 'run'}],
    ])
    expect(await new PrefectApi(p.url).flowRun('r1')).toEqual({id: 'r1', name: 'run'})
    expect(p.requests()).toBe(3)
  })

  it('creating a run retries a 503 but not a 500 (the run may exist already)', async () => {
    const busy = await prefect([
      [503, {detail: 'busy'}],
      [200, {id: 'r1', name: 'run'}],
    ])
    expect(await new PrefectApi(busy.url).createFlowRun('d1', {})).toEqual({id: 'r1', name: 'run'})
    expect(busy.requests()).toBe(2)
    await new Promise<void>((r) => server!.close(() => r()))
    const failed = await prefect([[500, {exception_message: 'boom'}]])
    await expect(new PrefectApi(failed.url).createFlowRun('d1', {})).rejects.toMatchObject({
      code: 'PREFECT_API_ERROR',
    })
    expect(failed.requests()).toBe(1)
  })

  it('does not retry a 422: the parameters are wrong', async () => {
    const p = await prefect([[422, {detail: 'bad months'}]])
    await expect(new PrefectApi(p.url).createFlowRun('d1', {})).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
    })
    expect(p.requests()).toBe(1)
  })

  it('gives up after a few attempts with the last answer', async () => {
    const p = await prefect([[503, {detail: 'busy'}]])
    await expect(new PrefectApi(p.url).flowRun('r1')).rejects.toMatchObject({
      code: 'PREFECT_API_ERROR',
      details: {status: 503},
    })
    expect(p.requests()).toBeGreaterThanOrEqual(4)
  }, 15_000)

  it('a refused connection is a server that is down: FLOW_SERVER_DOWN without waiting', async () => {
    const p = await prefect([[200, {}]])
    await new Promise<void>((r) => server!.close(() => r()))
    server = undefined
    const t0 = Date.now()
    await expect(new PrefectApi(p.url).deployments()).rejects.toMatchObject({code: 'FLOW_SERVER_DOWN'})
    expect(Date.now() - t0).toBeLessThan(1000)
  })
})
