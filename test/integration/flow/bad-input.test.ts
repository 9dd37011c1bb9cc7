/**
 * `dezc flow up` refusing what it cannot do, with the real programs: a Prefect install that really
 * fails (python3 -m venv + pip, or uv, against a package index that does not answer) names the
 * command to run by hand; a port held by another program is named before anything starts.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {freePort} from '../../helpers/docker.js'
import {makeTempDir} from '../../helpers/tmp.js'

const VENV = process.env.DEZC_TEST_PREFECT_VENV ?? '/var/cache/dezc-test/prefect/venv'
const hasPrefect = fs.existsSync(path.join(VENV, 'bin', 'prefect'))

let dir: string
let holder: net.Server | undefined

async function initProject(): Promise<string> {
  const d = path.join(makeTempDir('dezc-flow-bad-'), 'project')
  const r = await runCli(['flow', 'init', '--dir', d, '--json'])
  expect(r.code, r.stderr).toBe(0)
  return d
}

describe('dezc flow up: bad input', () => {
  beforeAll(async () => {
    dir = await initProject()
  })
  afterAll(async () => {
    await new Promise((r) => (holder ? holder.close(r) : r(undefined)))
  })

  it('Prefect not installed and its install failing: PREFECT_NOT_INSTALLED with the install command', async () => {
    const venv = path.join(makeTempDir('dezc-flow-venv-'), 'venv')
    const index = `http://127.0.0.1:${await freePort()}/simple`
    const r = await runCli(['flow', 'up', '--dir', dir, '--venv', venv, '--json'], {
      // Nothing listens on that port: pip (or uv) really fails to fetch Prefect.
      env: {PIP_INDEX_URL: index, PIP_RETRIES: '0', PIP_TIMEOUT: '2', UV_INDEX_URL: index, UV_DEFAULT_INDEX: index},
      timeoutMs: 180_000,
    })
    expect(r.code, r.stderr).toBe(4)
    const {error} = r.json()
    expect(error.code).toBe('PREFECT_NOT_INSTALLED')
    expect(error.message).toContain(venv)
    expect(error.suggestions.join('\n')).toMatch(/install .*prefect==3\.\d+\.\d+/)
    expect(error.suggestions.join('\n')).toContain('--venv')
    expect(fs.existsSync(path.join(dir, '.dezc', 'server.pid'))).toBe(false)
  }, 200_000)

  it.skipIf(!hasPrefect)(
    'the port is held by another program: FLOW_PORT_IN_USE, nothing started',
    async () => {
      const port = await freePort()
      holder = net.createServer((s) => s.end())
      await new Promise<void>((r) => holder!.listen(port, '127.0.0.1', r))
      const r = await runCli(['flow', 'up', '--dir', dir, '--venv', VENV, '--port', String(port), '--json'], {
        timeoutMs: 60_000,
      })
      expect(r.code, r.stderr).toBe(4)
      const {error} = r.json()
      expect(error).toMatchObject({code: 'FLOW_PORT_IN_USE', details: {port}})
      expect(error.message).toContain(String(port))
      expect(error.suggestions.join('\n')).toContain(`--port ${port + 1}`)
      expect(fs.existsSync(path.join(dir, '.dezc', 'server.pid'))).toBe(false)
      const status = await runCli(['flow', 'status', '--dir', dir, '--port', String(port), '--json'])
      expect(status.code, status.stdout).toBe(5)
      expect(status.json()).toMatchObject({up: false, server: {running: false}})
    },
    90_000,
  )
})
