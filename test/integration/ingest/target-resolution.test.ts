/**
 * "The stack's database" is where the named stack really runs, or an error: never the default
 * port of the profile (which is usually another stack's Postgres). Real engine, real stacks.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {freePort, removeStack, uniqueStack} from '../../helpers/docker.js'

const project = uniqueStack('tgt')
let pgPort: number

function expectError(r: CliResult, code: string, exit: number) {
  expect(r.code, r.stdout + r.stderr).toBe(exit)
  const e = r.json().error
  expect(e.code, e.message).toBe(code)
  expect(r.stdout + r.stderr).not.toMatch(/5432\b/) // no guessed default port anywhere
  return e as {message: string; suggestions: string[]}
}

beforeAll(async () => {
  pgPort = await freePort()
})
afterAll(() => removeStack(project))

describe('ingest resolves the named stack or stops', () => {
  for (const dry of [false, true]) {
    const extra = dry ? ['--dry-run'] : []
    it(`engine unreachable: exit 4, nothing loaded anywhere${dry ? ' (dry-run)' : ''}`, async () => {
      const r = await runCli(['ingest', 'yellow', '2021-01', '--stack', 'qa4', '--json', ...extra], {
        env: {DOCKER_HOST: 'unix:///nonexistent.sock'},
      })
      const e = expectError(r, 'DOCKER_NOT_RUNNING', 4)
      expect(e.message).toContain('/nonexistent.sock')
    })

    it(`a stack that does not exist: exit 5 and the env up command for it${dry ? ' (dry-run)' : ''}`, async () => {
      const r = await runCli(['ingest', 'yellow', '2021-01', '--stack', `${project}x`, '--json', ...extra])
      const e = expectError(r, 'STACK_NOT_RUNNING', 5)
      expect(e.message).toContain(`stack "${project}x"`)
      expect(e.suggestions[0]).toContain(`dezc env up --stack ${project}x`)
    })
  }

  it('a stack that was brought down: exit 5, its data kept; once up again the plan targets its real port', async () => {
    const up = await runCli(['env', 'up', '--stack', project, '--pg-port', String(pgPort), '--no-pgadmin', '--json'])
    expect(up.code, up.stderr).toBe(0)
    const down = await runCli(['env', 'down', '--stack', project, '--json'])
    expect(down.code, down.stderr).toBe(0)
    const r = await runCli(['ingest', 'yellow', '2021-02', '--stack', project, '--dry-run', '--json'])
    const e = expectError(r, 'STACK_NOT_RUNNING', 5)
    expect(e.message).toContain(`stack "${project}"`)
    const again = await runCli(['env', 'up', '--stack', project, '--pg-port', String(pgPort), '--no-pgadmin', '--json'])
    expect(again.code, again.stderr).toBe(0)
    const plan = await runCli(['ingest', 'zones', '--stack', project, '--dry-run', '--json'])
    expect(plan.code, plan.stderr).toBe(0)
    expect(JSON.stringify(plan.json())).toContain(`127.0.0.1:${pgPort}/nytaxi`)
  })
})
