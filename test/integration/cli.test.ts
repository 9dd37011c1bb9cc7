/** The built CLI as a user meets it: help, version, typos, bad flags. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT, runCli} from '../helpers/cli.js'

describe('dezc CLI', () => {
  it('--help lists the topics and --version prints the version', async () => {
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/TOPICS[\s\S]*env\s+Run the course's Postgres/)
    const version = await runCli(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^dezc\/\d+\.\d+\.\d+ /)
  })

  it('env --help lists every env command', async () => {
    const r = await runCli(['env', '--help'])
    expect(r.code).toBe(0)
    for (const cmd of ['up', 'down', 'status', 'logs', 'shell', 'psql', 'compose', 'credentials', 'upgrade'])
      expect(r.stdout).toContain(`env ${cmd}`)
  })

  it('an unknown command or flag is a usage error without a stack trace', async () => {
    const cmd = await runCli(['env', 'upp'])
    expect(cmd.code).toBe(2)
    expect(cmd.stderr).toContain('"env upp" is not a dezc command. [UNKNOWN_COMMAND]')
    const flag = await runCli(['env', 'status', '--bogus'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('Nonexistent flag: --bogus [USAGE]')
    const json = await runCli(['env', 'status', '--bogus', '--json'])
    expect(json.code).toBe(2)
    expect(json.json().error).toMatchObject({code: 'USAGE', exit: 2})
    for (const r of [cmd, flag]) expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  })

  it('--stack names the stack; --project on a stack command points there, and a mistyped flag gets the closest one', async () => {
    const old = await runCli(['env', 'up', '--project', 'demo', '--dry-run'])
    expect(old.code).toBe(2)
    expect(old.stderr).toContain(
      '--project is the Google Cloud project id; this command names the stack with --stack NAME',
    )
    const typo = await runCli(['env', 'status', '--stak', 'demo', '--json'])
    expect(typo.code).toBe(2)
    expect(typo.json().error.suggestions[0]).toBe('Did you mean --stack?')
    const help = await runCli(['env', 'up', '--help'])
    expect(help.stdout).toMatch(/--stack=<value>\s+\[env: DEZC_STACK\] Name of the stack/)
    expect(help.stdout).not.toContain('--project')
    const gcp = await runCli(['gcp', 'bootstrap', '--help'])
    expect(gcp.stdout).toMatch(/--project=<value>\s+Google Cloud project ID/)
  })

  it('a --base-url that is not an http(s) URL is a usage error naming the flag (ingest and lake)', async () => {
    for (const argv of [
      ['ingest', 'yellow', '2021-01', '--db-url', 'postgresql://u:p@127.0.0.1:1/db', '--dry-run'],
      ['lake', 'upload', 'yellow', '2021-01', '--bucket', 'dezc-test-bucket', '--dry-run'],
    ]) {
      const r = await runCli([...argv, '--base-url', '127.0.0.1:8000trip-data/', '--json'])
      expect(r.code, r.stdout + r.stderr).toBe(2)
      expect(r.json().error).toMatchObject({
        code: 'INVALID_FLAG',
        message: '--base-url "127.0.0.1:8000trip-data/" is not an http(s) URL.',
      })
    }
  })

  it('a non-integer port is rejected before anything runs', async () => {
    const r = await runCli(['env', 'up', '--pg-port', 'abc'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Expected an integer but received: abc/)
  })

  it('root and topic help are served from the help cache after the first run, keyed by width; command help is never cached', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-help-cache-'))
    const env = {DEZC_CACHE_DIR: cache}
    const helpDir = path.join(cache, 'help')
    const files = () => (fs.existsSync(helpDir) ? fs.readdirSync(helpDir).sort() : [])
    const first = await runCli(['--help'], {env})
    expect(first.code).toBe(0)
    expect(files()).toHaveLength(1)
    // Prove the second run reads the cache: plant a marker in the cached file.
    const cached = path.join(helpDir, files()[0])
    expect(fs.readFileSync(cached, 'utf8')).toBe(first.stdout)
    fs.writeFileSync(cached, 'served from the help cache\n')
    expect((await runCli(['--help'], {env})).stdout).toBe('served from the help cache\n')
    // Another width is another key: oclif renders it (wrapped at 40 columns), not the 80-column text.
    const narrow = await runCli(['--help'], {env: {...env, OCLIF_COLUMNS: '40'}})
    expect(narrow.stdout).toMatch(/TOPICS/)
    expect(narrow.stdout).not.toBe(first.stdout)
    expect(narrow.stdout.split('\n').length).toBeGreaterThan(first.stdout.split('\n').length)
    expect(files()).toHaveLength(2)
    // Colour is part of the key too: FORCE_COLOR gets oclif's coloured text, not the plain one, twice.
    for (let i = 0; i < 2; i++) {
      const coloured = await runCli(['--help'], {env: {...env, FORCE_COLOR: '1', NO_COLOR: ''}})
      expect(coloured.stdout).toContain('\u001b[')
    }
    expect(files()).toHaveLength(3)
    // A rebuilt manifest (new mtime) invalidates every entry.
    const manifest = path.join(ROOT, 'oclif.manifest.json')
    const now = new Date()
    fs.utimesSync(manifest, now, new Date(now.getTime() + 1000))
    expect((await runCli(['--help'], {env})).stdout).toBe(first.stdout)
    // Topic help is cached; command help (flags may take defaults from config) and errors are not.
    const before = files().length
    const topic = await runCli(['env', '--help'], {env})
    expect(topic.stdout).toContain('env up')
    expect(files()).toHaveLength(before + 1)
    expect((await runCli(['ingest', '--help'], {env})).stdout).toContain('--db-url')
    expect((await runCli(['help', 'nosuchtopic'], {env})).code).not.toBe(0)
    expect(files()).toHaveLength(before + 1)
  })

  it('an unknown command exits 2 with the closest command, as JSON under --json', async () => {
    const typo = await runCli(['ingets', 'yellow', '2021-01'])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('Did you mean "ingest"? dezc ingest yellow 2021-01')
    const json = await runCli(['ingets', 'yellow', '--json'])
    expect(json.code).toBe(2)
    expect(json.json().error).toMatchObject({
      code: 'UNKNOWN_COMMAND',
      exit: 2,
      suggestions: ['Did you mean "ingest"? dezc ingest yellow', 'See all commands: dezc --help'],
    })
    const nested = await runCli(['gcp', 'bootstrp', '--json'])
    expect(nested.json().error.suggestions[0]).toContain('dezc gcp bootstrap')
    const none = await runCli(['qqqqqqq'])
    expect(none.code).toBe(2)
    expect(none.stderr).not.toContain('Did you mean')
  })

  it('`dezc --json` lists the commands as JSON (exit 0)', async () => {
    const r = await runCli(['--json'])
    expect(r.code, r.stderr).toBe(0)
    const ids = r.json().commands.map((c: {command: string}) => c.command)
    expect(ids).toEqual(
      expect.arrayContaining(['dezc ingest', 'dezc env up', 'dezc env compose', 'dezc gcp bootstrap']),
    )
  })

  it('every command has its --json success shape checked: here when it needs no service, else in the named test file', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-json-'))
    const env = {HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, '.config'), DEZC_CACHE_DIR: path.join(tmp, 'cache')}
    // Offline successes: each result must be a {status, result, warnings} envelope (runCli's json() checks it).
    const offline: Record<string, string[]> = {
      'env:compose': ['env', 'compose'],
      'env:credentials': ['env', 'credentials'],
      'spark:doctor': ['spark', 'doctor'],
      'spark:install': ['spark', 'install', '--dry-run'],
      'tf:init': ['tf', 'init', '--project', 'json-proj-1', '--dry-run'],
      'tf:install': ['tf', 'install', '--dry-run'],
      'dbt:install': ['dbt', 'install', '--target', 'duckdb', '--dry-run'],
      ingest: ['ingest', 'zones', '--db-url', 'postgresql://u:secret@127.0.0.1:1/db', '--dry-run'],
    }
    // Needs a running stack, the GCP stand-in or terraform: covered by --json assertions in these files.
    const elsewhere: Record<string, string> = {
      doctor: 'doctor/doctor.test.ts',
      'env:up': 'env/lifecycle.test.ts',
      'env:down': 'env/lifecycle.test.ts',
      'env:status': 'env/lifecycle.test.ts',
      'env:logs': 'env/errors.test.ts',
      'env:psql': 'env/errors.test.ts',
      'env:shell': 'env/errors.test.ts',
      'env:upgrade': 'env/upgrade.test.ts',
      'gcp:bootstrap': 'gcp/bootstrap.test.ts',
      'gcp:status': 'gcp/bootstrap.test.ts',
      'gcp:teardown': 'gcp/bootstrap.test.ts',
      'spark:submit': 'spark/real-spark4.test.ts',
      'spark:cluster:up': 'spark/cluster.test.ts',
      'spark:cluster:status': 'spark/cluster.test.ts',
      'spark:cluster:down': 'spark/cluster.test.ts',
      'tf:plan': 'tf/run.test.ts',
      'tf:apply': 'tf/run.test.ts',
      'tf:destroy': 'tf/run.test.ts',
      'lake:upload': 'lake/upload.test.ts',
      'lake:ls': 'lake/upload.test.ts',
      'bq:external': 'bq/bq.test.ts',
      'bq:load': 'bq/bq.test.ts',
      'bq:query': 'bq/bq.test.ts',
      // flow.test.ts runs every flow command through one helper that adds --json.
      'flow:init': 'flow/flow.test.ts',
      'flow:up': 'flow/flow.test.ts',
      'flow:status': 'flow/flow.test.ts',
      'flow:run': 'flow/flow.test.ts',
      'flow:down': 'flow/flow.test.ts',
      'dbt:init': 'dbt/dbt.test.ts',
      'dbt:build': 'dbt/dbt.test.ts',
      'dbt:run': 'dbt/dbt.test.ts',
      'dbt:test': 'dbt/dbt.test.ts',
      'dbt:seed': 'dbt/dbt.test.ts',
      'dbt:debug': 'dbt/dbt.test.ts',
      'dbt:deps': 'dbt/dbt.test.ts',
      'dbt:compile': 'dbt/dbt.test.ts',
      'dbt:parse': 'dbt/dbt.test.ts',
      'dbt:freshness': 'dbt/dbt.test.ts',
      'dbt:doctor': 'dbt/dbt.test.ts',
      'dbt:ls': 'dbt/duckdb.test.ts',
      'dbt:show': 'dbt/duckdb.test.ts',
      'dbt:snapshot': 'dbt/duckdb.test.ts',
    }
    // The wizard asks questions: under --json it can only say so (NON_INTERACTIVE, exit 3).
    const errorOnly = ['wizard']
    expect(
      Object.keys(manifest.commands).filter((id) => !(id in offline) && !(id in elsewhere) && !errorOnly.includes(id)),
    ).toEqual([])
    for (const [id, file] of Object.entries(elsewhere)) {
      const text = fs.readFileSync(path.join(ROOT, 'test/integration', file), 'utf8')
      expect(text, `${file} runs ${id}`).toMatch(new RegExp(`[[(, ]'${id.split(':').at(-1)}'`))
      expect(text, `${file} uses --json`).toContain("'--json'")
    }
    const results = await Promise.all(
      Object.entries(offline).map(async ([id, argv]) => ({id, r: await runCli([...argv, '--json'], {cwd: tmp, env})})),
    )
    for (const {id, r} of results) {
      expect(r.code, `${id}: ${r.stdout}${r.stderr}`).toBe(0)
      expect(r.envelope().result, id).toBeTypeOf('object')
      expect(r.stdout, id).not.toContain('secret')
    }
    const wizard = await runCli(['wizard', '--json'], {cwd: tmp, env})
    expect(wizard.code).toBe(3)
    expect(wizard.json().error.code).toBe('NON_INTERACTIVE')
  })

  it('every command accepts --json: a bad flag is a JSON usage error on stdout (exit 2), for all of them', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    const ids = Object.keys(manifest.commands)
    expect(ids.length).toBeGreaterThan(15)
    const results = await Promise.all(
      ids.map(async (id) => ({id, r: await runCli([...id.split(':'), '--no-such-flag', '--json'])})),
    )
    for (const {id, r} of results) {
      expect(r.code, `${id}: ${r.stdout}${r.stderr}`).toBe(2)
      expect(r.json().error, id).toMatchObject({exit: 2})
    }
  })
})
