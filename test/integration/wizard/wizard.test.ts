/**
 * The wizard in a real terminal (tmux), against the real Docker engine: a full local path, a
 * Ctrl-C path, and what bare `dezc` and `dezc wizard` do without a terminal.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {freePort, removeProject, uniqueProject} from '../../helpers/docker.js'
import {FakeGcp} from '../../helpers/fake-gcp.js'
import {createStandinTerraform, pathWithout} from '../../helpers/standin-terraform.js'
import {TmuxSession} from '../../helpers/tmux.js'

const sessions: TmuxSession[] = []
const projects: string[] = []

function workdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-wizard-'))
}

function privateEnv(dir: string): Record<string, string> {
  return {DEZC_CONFIG_DIR: path.join(dir, '.config'), DEZC_CACHE_DIR: path.join(dir, '.cache'), DEZC_DATA_DIR: path.join(dir, '.data'), TERM: 'xterm-256color', NO_COLOR: '1', NODE_ENV: 'production'}
}

afterAll(async () => {
  for (const s of sessions) s.kill()
  for (const p of projects) await removeProject(p)
})

describe('dezc wizard in a real terminal', () => {
  it('local path: picks the profile, starts the stack, saves the answers, prints the commands to repeat it', async () => {
    const dir = workdir()
    const project = uniqueProject('wiz')
    projects.push(project)
    const [pgPort, paPort] = [await freePort(), await freePort()]
    const s = TmuxSession.start(['wizard', '--project', project, '--pg-port', String(pgPort), '--pgadmin-port', String(paPort)], {cwd: dir, env: privateEnv(dir)})
    sessions.push(s)
    await s.waitFor(/Where should the database stack run\?/)
    s.send('Enter') // local is the default
    await s.waitFor(new RegExp(`Start Postgres on port ${pgPort} and pgAdmin on port ${paPort} \\(profile local\\)\\?`))
    s.send('y', true)
    s.send('Enter')
    await s.waitFor(/Set up the Google Cloud service account/, 120_000)
    s.send('n', true)
    s.send('Enter')
    await s.waitFor(/Create the course's GCS bucket and BigQuery dataset/)
    s.send('n', true)
    s.send('Enter')
    const screen = await s.waitFor(/To repeat the finished steps without the wizard:/, 120_000)
    expect(screen).toContain(`dezc env up --project ${project} --pg-port ${pgPort} --pgadmin-port ${paPort}`)
    expect(screen).toMatch(/done +Start Postgres and pgAdmin — Postgres at postgresql:\/\/root:\*+@127\.0\.0\.1:\d+\/nytaxi/)
    expect(await s.exitCode()).toBe(0)
    const saved = parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8'))
    expect(saved.wizard).toEqual({profile: 'local', steps: {env: {up: true}, gcp: false, tf: false}})
    const status = await runCli(['env', 'status', '--project', project, '--json'])
    expect(status.code, status.stderr).toBe(0)
    expect(status.json().ok).toBe(true)
  }, 180_000)

  it('cloud path: skips the stack, bootstraps GCP on the loopback fake, runs a STAND-IN terraform after the plan is confirmed', async () => {
    const fake = new FakeGcp()
    await fake.start()
    fake.addProject('wiz-proj-1')
    const tf = createStandinTerraform({steps: {plan: {code: 2, stdout: 'Plan: 2 to add, 0 to change, 0 to destroy.\n'}, apply: {stdout: 'Apply complete! Resources: 2 added, 0 changed, 0 destroyed.\n'}, output: {stdout: '{}'}}})
    try {
      const dir = workdir()
      const env = {...privateEnv(dir), HOME: dir, CLOUDSDK_CONFIG: path.join(dir, 'gcloud'), DEZC_GOOGLE_API_ROOT: fake.url, DEZC_GCP_TIME_SCALE: '0.005', GOOGLE_OAUTH_ACCESS_TOKEN: 'test', PATH: pathWithout([tf.binDir])}
      const s = TmuxSession.start(['wizard', '--project', uniqueProject('wizg')], {cwd: dir, env})
      sessions.push(s)
      await s.waitFor(/Where should the database stack run\?/)
      s.send('Enter')
      await s.waitFor(/Start Postgres on port/)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Set up the Google Cloud service account/)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Google Cloud project ID/)
      s.send('wiz-proj-1', true)
      s.send('Enter')
      await s.waitFor(/Create the course's GCS bucket and BigQuery dataset/, 120_000)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Google Cloud project ID.*wiz-proj-1/) // the bootstrap's project is the default
      s.send('Enter')
      await s.waitFor(/in project wiz-proj-1\?/, 120_000) // terraform's plan, then our confirmation
      s.send('y', true)
      s.send('Enter')
      const screen = await s.waitFor(/To repeat the finished steps without the wizard:/, 120_000)
      expect(screen).toContain('dezc gcp bootstrap --project wiz-proj-1')
      expect(screen).toContain('dezc tf init --project wiz-proj-1')
      expect(screen).toMatch(/skipped +Start Postgres and pgAdmin/)
      expect(await s.exitCode()).toBe(0)
      // Real effects: the fake holds the account and its key; the stand-in applied the saved plan.
      expect([...fake.accounts.values()].map((a) => a.email)).toContain('dezc-sa@wiz-proj-1.iam.gserviceaccount.com')
      const keys = fs.readdirSync(path.join(dir, '.gc')).filter((f) => f.endsWith('.json'))
      expect(keys).toHaveLength(1)
      expect(fs.statSync(path.join(dir, '.gc', keys[0])).mode & 0o777).toBe(0o600)
      expect(tf.runs().map((c) => c.argv[0])).toEqual(['init', 'plan', 'apply', 'output'])
      expect(parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8')).wizard.steps).toEqual({env: false, gcp: {project: 'wiz-proj-1'}, tf: {project: 'wiz-proj-1'}})
    } finally {
      await fake.stop()
    }
  }, 240_000)

  it('Ctrl-C at a prompt exits 130 and keeps the answers of finished steps', async () => {
    const dir = workdir()
    const s = TmuxSession.start(['wizard', '--project', uniqueProject('wizc')], {cwd: dir, env: privateEnv(dir)})
    sessions.push(s)
    await s.waitFor(/Where should the database stack run\?/)
    s.send('Enter')
    await s.waitFor(/Start Postgres on port/)
    s.send('C-c')
    expect(await s.exitCode()).toBe(130)
    expect(s.screen()).toMatch(/Interrupted at the prompt/)
    expect(parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8')).wizard).toEqual({profile: 'local'})
  }, 120_000)

  it('without a terminal: `dezc wizard` refuses with the commands to run instead; bare `dezc` shows the help', async () => {
    const r = await runCli(['wizard'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('[NON_INTERACTIVE]')
    expect(r.stderr).toContain('dezc env up')
    const bare = await runCli([])
    expect(bare.code).toBe(0)
    expect(bare.stdout).toMatch(/USAGE/)
    expect(bare.stdout).toContain('New here? `dezc wizard`')
  })
})
