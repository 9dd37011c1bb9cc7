/**
 * The real pgAdmin 4 (dpage/pgadmin4:9, built from PyPI's pgadmin4; see docker/test-images):
 * after `dezc env up`, a browser's login works with the stack's credentials, the server dezc
 * registered is in pgAdmin's tree under the network alias, and pgAdmin connects to it — over
 * HTTP as a browser would, and in headless Chromium (Debian's, driven by playwright-core).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {PgAdminSession} from '../../helpers/pgadmin.js'
import {ROOT} from '../../helpers/cli.js'
import {configDir} from '../../helpers/tmp.js'

const projects: string[] = []
afterAll(async () => {
  for (const p of projects) await removeStack(p)
})

/** A stack with the real pgAdmin; returns its project, pgAdmin port and `env up`'s result. */
async function upWithRealPgAdmin(prefix: string, json: boolean, image = 'dpage/pgadmin4:9') {
  const p = uniqueStack(prefix)
  projects.push(p)
  const cfg = configDir(`profiles:\n  local:\n    pgadmin: {image: "${image}"}\n`, `dezc-${prefix}-`)
  const paPort = await freePort()
  const up = await runCli(
    [
      'env',
      'up',
      '--stack',
      p,
      '--pg-port',
      String(await freePort()),
      '--pgadmin-port',
      String(paPort),
      ...(json ? ['--json'] : []),
    ],
    {cwd: cfg, timeoutMs: 240_000},
  )
  expect(up.code, up.stdout + up.stderr).toBe(0)
  return {p, paPort, up}
}

// pgAdmin 9 (a Flask app) takes tens of seconds to start on a busy 2-core machine: each test may take 3 minutes.
describe('real pgAdmin 4 on the env stack', {timeout: 180_000}, () => {
  it('env up; log in over HTTP (CSRF + session cookie); the registered server is there and pgAdmin connects to it', async () => {
    const {p, paPort, up} = await upWithRealPgAdmin('pga', true)
    const out = up.json()
    expect(out.pgadmin).toMatchObject({
      url: `http://127.0.0.1:${paPort}`,
      email: 'admin@admin.com',
      serverRegisteredAs: 'pgdatabase:5432',
    })
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

  it('the 2023 edition (pgAdmin 4.8 contract: root, port 80) with real pgAdmin 4.22 code, the oldest on PyPI: log in, the server is registered, pgAdmin connects', async () => {
    const {p, paPort, up} = await upWithRealPgAdmin('pga48', true, 'dpage/pgadmin4:4.8-real')
    expect(up.json().pgadmin).toMatchObject({serverRegisteredAs: 'pgdatabase:5432'})
    // Before 4.16 the official image ran as root: dezc must not chown the data folder to 5050.
    expect(['', '0', 'root']).toContain((await docker.getContainer(`${p}-pgadmin-dev`).inspect()).Config.User)
    // 4.x redirects to / after a login attempt either way: ask the browser page whether it worked.
    const wrong = new PgAdminSession(`http://127.0.0.1:${paPort}`)
    await wrong.login('admin@admin.com', 'not-the-password')
    expect(await wrong.loggedIn()).toBe(false)
    const web = new PgAdminSession(`http://127.0.0.1:${paPort}`)
    await web.login('admin@admin.com', 'root')
    expect(await web.loggedIn()).toBe(true)
    const ours = (await web.servers()).find((s) => s.label === `dezc ${p} (pgdatabase)`)
    expect(ours).toBeDefined()
    expect(await web.serverProperties(ours!.gid, ours!.sid)).toMatchObject({host: 'pgdatabase', port: 5432})
    const connected = await web.connect(ours!.gid, ours!.sid, 'root')
    expect(connected.status, JSON.stringify(connected.body)).toBe(200)
    expect(connected.body.data).toMatchObject({connected: true, db: 'nytaxi'})
  })

  it('the image keeps the official contract: it refuses to start without PGADMIN_DEFAULT_EMAIL / PASSWORD, and runs as uid 5050', async () => {
    const c = await docker.createContainer({Image: 'dpage/pgadmin4:9', Env: ['PGADMIN_DEFAULT_EMAIL=a@example.com']})
    try {
      await c.start()
      const {StatusCode} = await c.wait()
      expect(StatusCode).toBe(1)
      const logs = (await c.logs({stdout: true, stderr: true})).toString('utf8')
      expect(logs).toContain(
        'You need to define the PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE environment variables.',
      )
      expect((await c.inspect()).Config.User).toBe('5050')
    } finally {
      await c.remove({force: true})
    }
  })

  it('in headless Chromium: log in, open the server from the tree, give the password, and see the database (screenshot saved)', async () => {
    const {p, paPort} = await upWithRealPgAdmin('pgaui', false)
    const {chromium} = await import('playwright-core')
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-chromium-'))
    // The flags the closed network needs (no background connections), a fresh profile.
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport: {width: 1400, height: 900},
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    const out = path.join(ROOT, 'test-output', 'pgadmin-browser')
    fs.mkdirSync(out, {recursive: true})
    const page = await browser.newPage()
    try {
      await page.goto(`http://127.0.0.1:${paPort}/login`)
      await page.fill('input[name="email"]', 'admin@admin.com')
      await page.fill('input[name="password"]', 'root')
      await page.keyboard.press('Enter')
      await page.waitForURL('**/browser/**', {timeout: 60_000})
      const group = page.getByText('dezc', {exact: true}).first()
      await group.waitFor({timeout: 60_000})
      await group.dblclick()
      await page.getByText("Please enter the password for the user 'root'").waitFor({timeout: 30_000})
      await page.locator('input[type="password"]').last().fill('root')
      await page.keyboard.press('Enter')
      await page.getByText('Server connected.').waitFor({timeout: 30_000})
      await page.getByText(`dezc ${p} (pgdatabase)`, {exact: true}).waitFor()
      await page
        .getByText(/^Databases/)
        .first()
        .dblclick()
      await page.getByText('nytaxi', {exact: true}).first().waitFor({timeout: 30_000})
      await page.screenshot({path: path.join(out, 'server-tree.png')})
    } catch (error) {
      await page.screenshot({path: path.join(out, 'failure.png')}).catch(() => {})
      throw error
    } finally {
      await browser.close()
      fs.rmSync(profile, {recursive: true, force: true})
    }
    expect(fs.statSync(path.join(out, 'server-tree.png')).size).toBeGreaterThan(10_000)
  }, 180_000) // pgAdmin's first page load compiles its JS bundle: slow on a busy 2-core machine
})
