/**
 * The real pgAdmin 4 (dpage/pgadmin4:9, built from PyPI's pgadmin4; see docker/test-images):
 * after `dezc env up`, a browser's login works with the stack's credentials, the server dezc
 * registered is in pgAdmin's tree under the network alias, and pgAdmin connects to it.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeProject, uniqueProject} from '../../helpers/docker.js'
import {PgAdminSession} from '../../helpers/pgadmin.js'

const projects: string[] = []
afterAll(async () => {
  for (const p of projects) await removeProject(p)
})

describe('real pgAdmin 4 on the env stack', () => {
  it('env up; log in over HTTP (CSRF + session cookie); the registered server is there and pgAdmin connects to it', async () => {
    const p = uniqueProject('pga')
    projects.push(p)
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-pga-'))
    fs.writeFileSync(path.join(cfg, 'dezc.yaml'), 'profiles:\n  local:\n    pgadmin: {image: "dpage/pgadmin4:9"}\n')
    const paPort = await freePort()
    const up = await runCli(['env', 'up', '--project', p, '--pg-port', String(await freePort()), '--pgadmin-port', String(paPort), '--json'], {cwd: cfg, timeoutMs: 240_000})
    expect(up.code, up.stdout + up.stderr).toBe(0)
    const out = up.json()
    expect(out.pgadmin).toMatchObject({url: `http://127.0.0.1:${paPort}`, email: 'admin@admin.com', serverRegisteredAs: 'pgdatabase:5432'})
    expect((await docker.getContainer(`${p}-pgadmin-dev`).inspect()).Config.User).toBe('5050')

    const web = new PgAdminSession(`http://127.0.0.1:${paPort}`)
    const wrong = await new PgAdminSession(`http://127.0.0.1:${paPort}`).login('admin@admin.com', 'not-the-password')
    expect(wrong).not.toBe('/browser/')
    expect(await web.login('admin@admin.com', 'root')).toBe('/browser/')
    const servers = await web.servers()
    const ours = servers.find((s) => s.label === `dezc ${p} (pgdatabase)`)
    expect(ours, JSON.stringify(servers)).toBeDefined()
    const props = await web.serverProperties(ours!.gid, ours!.sid)
    expect(props).toMatchObject({host: 'pgdatabase', port: 5432, db: 'nytaxi', username: 'root'})
    const connected = await web.connect(ours!.gid, ours!.sid, 'root')
    expect(connected.status, JSON.stringify(connected.body)).toBe(200)
    expect(connected.body.data).toMatchObject({connected: true, version: 130023, db: 'nytaxi'})
  })

  it('the image keeps the official contract: it refuses to start without PGADMIN_DEFAULT_EMAIL / PASSWORD, and runs as uid 5050', async () => {
    const c = await docker.createContainer({Image: 'dpage/pgadmin4:9', Env: ['PGADMIN_DEFAULT_EMAIL=a@example.com']})
    try {
      await c.start()
      const {StatusCode} = await c.wait()
      expect(StatusCode).toBe(1)
      const logs = (await c.logs({stdout: true, stderr: true})).toString('utf8')
      expect(logs).toContain('You need to define the PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE environment variables.')
      expect((await c.inspect()).Config.User).toBe('5050')
    } finally {
      await c.remove({force: true})
    }
  })
})

