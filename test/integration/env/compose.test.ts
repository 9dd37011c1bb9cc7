/**
 * `dezc env compose` output run by the Compose programs users really have: Debian/Ubuntu's
 * docker-compose 1.29 (the distribution package) and a Docker Compose v2 built from its Go module.
 * `up -d` must bring up a stack that `dezc env status` then sees as its own.
 */
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {composeV2Binary} from '../../helpers/compose.js'

const run = promisify(execFile)
const projects: string[] = []
afterAll(async () => {
  for (const p of projects) await removeStack(p)
})

const programs: Array<{name: string; argv: () => string[]}> = [
  {name: 'docker-compose 1.29 (Debian)', argv: () => ['docker-compose']},
  {name: 'Docker Compose v2', argv: () => [composeV2Binary()]},
]

describe('env compose output runs with the Compose users have', () => {
  for (const program of programs) {
    it(`${program.name}: up -d, then dezc env status sees a healthy stack of its own; no password on stdout`, async () => {
      const p = uniqueStack('cmp')
      projects.push(p)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-compose-'))
      const [pgPort, paPort] = [await freePort(), await freePort()]
      const printed = await runCli([
        'env',
        'compose',
        '--stack',
        p,
        '--pg-port',
        String(pgPort),
        '--pgadmin-port',
        String(paPort),
      ])
      expect(printed.code, printed.stderr).toBe(0)
      expect(printed.stdout).not.toMatch(/PASSWORD: root|PASSWORD=root/)
      const written = await runCli([
        'env',
        'compose',
        '--stack',
        p,
        '--pg-port',
        String(pgPort),
        '--pgadmin-port',
        String(paPort),
        '--out',
        dir,
        '--json',
      ])
      expect(written.code, written.stderr).toBe(0)
      expect(written.stdout).not.toContain('root\n')
      expect(written.json()).toMatchObject({
        projectName: p,
        command: `docker-compose -p ${p} up -d`,
        variables: ['POSTGRES_PASSWORD', 'PGADMIN_DEFAULT_PASSWORD'],
      })
      expect(fs.statSync(path.join(dir, '.env')).mode & 0o777).toBe(0o600)
      const [cmd, ...pre] = program.argv()
      const up = await run(cmd, [...pre, '-p', p, 'up', '-d'], {cwd: dir, timeout: 120_000}).catch(
        (e: {stderr?: string; message: string}) => {
          throw new Error(`${program.name} refused the file: ${e.stderr ?? e.message}`)
        },
      )
      expect(up.stderr + up.stdout).not.toMatch(/does not match any of the regexes|Unsupported config option/)
      let status = await runCli(['env', 'status', '--stack', p, '--json'])
      for (let i = 0; i < 60 && status.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 500))
        status = await runCli(['env', 'status', '--stack', p, '--json'])
      }
      expect(status.code, status.stdout + status.stderr).toBe(0)
      const s = status.json()
      expect(s.network).toEqual({name: `${p}-pg-network`, exists: true})
      expect(
        s.services.map((x: {service: string; ok: boolean; address: string}) => [x.service, x.ok, x.address]),
      ).toEqual([
        ['postgres', true, `127.0.0.1:${pgPort}`],
        ['pgadmin', true, `http://127.0.0.1:${paPort}`],
      ])
      // dezc takes it over: env down removes it (data kept), as for a stack it made itself.
      const down = await runCli(['env', 'down', '--stack', p, '--json'])
      expect(down.code, down.stderr).toBe(0)
      expect(down.json().containersRemoved.sort()).toEqual([`${p}-pgadmin-dev`, `${p}-pgsql-dev`])
    })
  }
})
