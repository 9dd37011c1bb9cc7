/** The built CLI as a user meets it: help, version, typos, bad flags. */
import {describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'

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
    for (const cmd of ['up', 'down', 'status', 'logs', 'shell', 'psql', 'compose', 'credentials']) expect(r.stdout).toContain(`env ${cmd}`)
  })

  it('an unknown command or flag is a usage error without a stack trace', async () => {
    const cmd = await runCli(['env', 'upp'])
    expect(cmd.code).not.toBe(0)
    expect(cmd.stderr).toMatch(/not (a dezc command|found)/i)
    const flag = await runCli(['env', 'status', '--bogus'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('Nonexistent flag: --bogus [USAGE]')
    const json = await runCli(['env', 'status', '--bogus', '--json'])
    expect(json.code).toBe(2)
    expect(json.json().error).toMatchObject({code: 'USAGE', exit: 2})
    for (const r of [cmd, flag]) expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
  })

  it('a non-integer port is rejected before anything runs', async () => {
    const r = await runCli(['env', 'up', '--pg-port', 'abc'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Expected an integer but received: abc/)
  })
})
