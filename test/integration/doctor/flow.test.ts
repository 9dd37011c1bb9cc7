/**
 * `dezc doctor`'s Prefect rows, read-only: no project is skipped; a project from `dezc flow init`
 * whose Prefect was never installed or started names `dezc flow up` as the fix. (The rows of a
 * running server and worker are exercised by test/integration/flow with the real Prefect.)
 */
import net from 'node:net'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {makeTempDir} from '../../helpers/tmp.js'

type Row = {id: string; status: string; detail: string; fix?: string}

async function flowRows(cwd: string, env: Record<string, string> = {}) {
  const r = await runCli(['doctor', '--only', 'flow', '--json'], {cwd, env})
  return {code: r.code, rows: Object.fromEntries((r.json().checks as Row[]).map((c) => [c.id, c]))}
}

describe('doctor: workflows (Prefect)', () => {
  it('without a flow project every row is skipped and says how to make one', async () => {
    const {code, rows} = await flowRows(makeTempDir('dezc-doctor-flow-'))
    expect(code).toBe(0)
    expect(Object.keys(rows).sort()).toEqual(['flow.prefect', 'flow.server', 'flow.worker'])
    for (const row of Object.values(rows))
      expect(row).toMatchObject({status: 'skip', detail: expect.stringContaining('dezc flow init')})
  })

  it('an initialised project without Prefect fails with the fix; a port held by another program is named', async () => {
    const cwd = makeTempDir('dezc-doctor-flow-')
    const init = await runCli(['flow', 'init', '--json'], {cwd})
    expect(init.code, init.stderr).toBe(0)
    const holder = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => holder.once('listening', r))
    const port = String((holder.address() as net.AddressInfo).port)
    try {
      const {code, rows} = await flowRows(cwd, {DEZC_FLOW_PORT: port})
      expect(code).toBe(5)
      expect(rows['flow.prefect']).toMatchObject({
        status: 'fail',
        detail: `no prefect in ${path.join(cwd, 'flow', '.venv')}`,
      })
      expect(rows['flow.prefect'].fix).toContain('dezc flow up')
      expect(rows['flow.server']).toMatchObject({status: 'fail', detail: `port ${port} is held by another program`})
      expect(rows['flow.worker']).toMatchObject({status: 'warn', fix: `dezc flow up --dir ${path.join(cwd, 'flow')}`})
    } finally {
      holder.close()
    }
  })
})
