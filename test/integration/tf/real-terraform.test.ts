/**
 * dezc's terraform wrapper (`dezc tf plan|apply|destroy`, and `tf init`'s terraform step) against
 * the REAL terraform 1.11.4, built from its Go module source by scripts/ensure-terraform.sh. The
 * configurations use only `terraform_data` (built into terraform: no provider download), so plan
 * and apply really run: -detailed-exitcode, state, the state lock, Ctrl-C. `dezc tf plan|apply|
 * destroy --dir D` runs on any directory with a main.tf, which is how these tests point it at
 * their own configurations. The Google provider is not obtainable here, so the generated Google
 * configuration meets real terraform only in `fmt -check` and in an init that cannot reach the
 * registry; its HCL is checked by a parser in init.test.ts.
 */
import {execFileSync, spawnSync, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import type {ConfirmOptions} from '../../../src/core/ui.js'
import {PLAN_FILE} from '../../../src/tf/files.js'
import {releasePlatform} from '../../../src/tf/install.js'
import {tfRun, type TfContext} from '../../../src/tf/service.js'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {realTerraform, realTerraformEnv, type RealTerraform} from '../../helpers/real-terraform.js'
import {scriptedTfContext} from '../../helpers/tf-context.js'
import {makeTempDir} from '../../helpers/tmp.js'

const MAIN_TF = `variable "greeting" {
  type    = string
  default = "hello"
}

resource "terraform_data" "greeting" {
  input = var.greeting
}

output "greeting" {
  value = terraform_data.greeting.output
}

output "token" {
  value     = "s3cr3t-\${terraform_data.greeting.id}"
  sensitive = true
}
`

/**
 * A resource whose creation takes a minute: the window for the lock and Ctrl-C tests. On Ctrl-C
 * terraform kills the provisioner and stops within milliseconds, so dezc's 1 s grace before it
 * passes a SIGINT on is not reached when terraform got the terminal's SIGINT itself; a terraform
 * that takes longer to stop (a provider finishing an API call) is played by the stand-in in
 * run.test.ts. `exec`: terraform kills the provisioner's shell, and the sleep must not outlive it.
 */
const SLOW_TF = `resource "terraform_data" "slow" {
  input = "slow"

  provisioner "local-exec" {
    command = "exec sleep 60"
  }
}
`

let tf: RealTerraform
let home: string

beforeAll(() => {
  tf = realTerraform()
  home = makeTempDir('dezc-real-tf-home-')
})

function configDir(mainTf: string): string {
  const dir = fs.mkdtempSync(path.join(home, 'cfg-'))
  fs.writeFileSync(path.join(dir, 'main.tf'), mainTf)
  return dir
}

const env = (extra: NodeJS.ProcessEnv = {}) => realTerraformEnv(tf, home, extra)
const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(['tf', ...args], {env: env(extra), cwd: home})

interface State {
  serial: number
  resources: Array<{type: string; name: string; instances: Array<{status?: string; attributes: {id: string}}>}>
}
const readState = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'terraform.tfstate'), 'utf8')) as State

/** Start `dezc tf apply --yes` on the slow configuration; resolves `running` once terraform runs the provisioner. */
function startSlowApply(dir: string, o: {processGroup?: boolean} = {}) {
  let child!: ChildProcess
  let seen = ''
  let markRunning!: () => void
  const running = new Promise<void>((resolve) => (markRunning = resolve))
  const done = runCli(['tf', 'apply', '--dir', dir, '--yes'], {
    env: env(),
    cwd: home,
    processGroup: o.processGroup,
    onSpawn: (c) => {
      child = c
      c.stdout!.on('data', (d: Buffer | string) => {
        seen += d.toString()
        if (seen.includes(`terraform_data.slow (local-exec): Executing:`)) markRunning()
      })
    },
  })
  return {running, done, child: () => child}
}

/** Parent and process group of a process, from /proc/PID/stat (fields after the command name). */
function procStat(pid: number): {ppid: number; pgrp: number} | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {ppid: Number(ppid), pgrp: Number(pgrp)}
  } catch {
    return undefined // gone
  }
}

/** The terraform process dezc (PID) started. */
function terraformChild(pid: number): number | undefined {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .find((p) => procStat(p)?.ppid === pid && comm(p) === 'terraform')
}

/** A process' command name; undefined when it has exited since /proc was listed (other tests run beside). */
function comm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return undefined
  }
}

describe('dezc tf plan/apply/destroy with the real terraform (terraform_data)', () => {
  let dir: string
  beforeAll(() => {
    dir = configDir(MAIN_TF)
  })

  it('plan of a new configuration: terraform init runs, -detailed-exitcode 2 is "changes pending", exit 0 with the counts', async () => {
    const r = await cli(['plan', '--dir', dir, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({
      action: 'plan',
      changed: true,
      plan: {add: 1, change: 0, destroy: 0},
      terraform: {path: tf.exe, version: tf.version},
    })
    // terraform's own output goes to stderr under --json
    expect(r.stderr).toContain('Terraform has been successfully initialized!')
    expect(r.stderr).toContain('# terraform_data.greeting will be created')
    expect(fs.existsSync(path.join(dir, 'terraform.tfstate'))).toBe(false)
    const human = await cli(['plan', '--dir', dir])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^Plan: 1 to add, 0 to change, 0 to destroy\. Apply with: dezc tf apply$/m)
  })

  it('apply --yes creates the state; outputs come from terraform output -json, the sensitive one masked and never printed', async () => {
    const r = await cli(['apply', '--dir', dir, '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(/Two interrupts received/)
    const state = readState(dir)
    expect(state.resources.map((x) => `${x.type}.${x.name}`)).toEqual(['terraform_data.greeting'])
    const id = state.resources[0].instances[0].attributes.id
    expect(r.json()).toMatchObject({
      action: 'apply',
      changed: true,
      plan: {add: 1, change: 0, destroy: 0},
      outputs: {greeting: 'hello', token: '(sensitive)'},
    })
    expect(r.stderr).toMatch(/Apply complete! Resources: 1 added, 0 changed, 0 destroyed\./)
    expect(r.stdout + r.stderr).not.toContain(`s3cr3t-${id}`)
  })

  it('after apply: plan says "No changes" (-detailed-exitcode 0), a second apply changes nothing and leaves the state as it was', async () => {
    const serial = readState(dir).serial
    const plan = await cli(['plan', '--dir', dir, '--json'])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.json()).toMatchObject({changed: false, plan: {add: 0, change: 0, destroy: 0}})
    const human = await cli(['plan', '--dir', dir])
    expect(human.stdout).toContain('No changes: the infrastructure matches the configuration.')

    const again = await cli(['apply', '--dir', dir, '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('No changes. Your infrastructure matches the configuration.')
    expect(again.stdout).toMatch(/^No changes: already up to date\.$/m)
    expect(readState(dir).serial).toBe(serial)
  })

  it('a changed input: plan counts one change in place, apply carries it out', async () => {
    fs.writeFileSync(path.join(dir, 'greeting.auto.tfvars'), 'greeting = "bonjour"\n')
    const plan = await cli(['plan', '--dir', dir, '--json'])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.json()).toMatchObject({changed: true, plan: {add: 0, change: 1, destroy: 0}})
    const apply = await cli(['apply', '--dir', dir, '--yes', '--json'])
    expect(apply.code, apply.stderr).toBe(0)
    expect(apply.json()).toMatchObject({changed: true, outputs: {greeting: 'bonjour'}})
  })

  it('destroy --yes removes everything; a second destroy has nothing to do', async () => {
    const r = await cli(['destroy', '--dir', dir, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Destroyed \(1 resource\)\.$/m)
    expect(readState(dir).resources).toEqual([])
    const again = await cli(['destroy', '--dir', dir, '--yes', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json()).toMatchObject({action: 'destroy', changed: false})
  })

  it("an invalid configuration: -detailed-exitcode 1 is an error, exit 1 with terraform's first error line", async () => {
    const bad = configDir('resource "terraform_data" "x" {\n  no_such_argument = 1\n}\n')
    const r = await cli(['plan', '--dir', bad, '--json'])
    expect(r.code).toBe(1)
    expect(r.json().error).toMatchObject({
      code: 'TF_FAILED',
      message: 'terraform plan failed (exit 1): Unsupported argument',
      details: {step: 'plan', terraformExit: 1},
    })
  })
})

describe('the confirmation between the saved plan and its apply, with the real terraform', () => {
  let asked: ConfirmOptions[]
  function ctx(answer: boolean): TfContext {
    asked = []
    return scriptedTfContext(answer, asked, {env: env(), cwd: home})
  }

  it('"no": exit 3, nothing applied; "yes": terraform applies exactly the saved plan; destroy asks by resource count', async () => {
    const dir = configDir(MAIN_TF)
    const declined = await tfRun(ctx(false), 'apply', {dir, yes: false, dryRun: false}).catch((error: unknown) => error)
    expect(declined).toBeInstanceOf(DezcError)
    expect((declined as DezcError).exit).toBe(3)
    expect(fs.existsSync(path.join(dir, 'terraform.tfstate'))).toBe(false)
    expect(fs.existsSync(path.join(dir, PLAN_FILE))).toBe(false)

    const applied = await tfRun(ctx(true), 'apply', {dir, yes: false, dryRun: false})
    expect(asked.map((a) => a.message)).toEqual(['Apply these changes?'])
    expect(applied).toMatchObject({changed: true, plan: {add: 1}, outputs: {greeting: 'hello'}})
    expect(readState(dir).resources).toHaveLength(1)
    expect(fs.existsSync(path.join(dir, PLAN_FILE))).toBe(false)

    const destroyed = await tfRun(ctx(true), 'destroy', {dir, yes: false, dryRun: false})
    // not "the bucket and the dataset": this configuration has neither
    expect(asked.map((a) => a.message)).toEqual(['Destroy all 1 resource in the state of this configuration?'])
    expect(destroyed).toMatchObject({changed: true, plan: {destroy: 1}})
    expect(readState(dir).resources).toEqual([])
  })
})

describe('the state lock, with the real terraform', () => {
  it('an apply while another holds the lock: a clear TF_STATE_LOCKED error naming the holder (exit 1); the first one is unharmed', async () => {
    const dir = configDir(SLOW_TF)
    const holder = startSlowApply(dir)
    await holder.running
    const r = await cli(['apply', '--dir', dir, '--yes', '--json'])
    expect(r.code).toBe(1)
    const error = r.json().error
    expect(error).toMatchObject({code: 'TF_STATE_LOCKED', details: {step: 'apply', terraformExit: 1}})
    expect(error.message).toMatch(
      new RegExp(
        `^terraform apply failed: the terraform state in ${dir} is locked by another terraform run \\(apply by \\S+ since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [^.]*\\)\\.$`,
      ),
    )
    expect(error.suggestions[0]).toBe('Wait for that run to finish, then retry.')
    const lockId = (JSON.parse(fs.readFileSync(path.join(dir, '.terraform.tfstate.lock.info'), 'utf8')) as {ID: string})
      .ID
    expect(error.suggestions[1]).toContain(`cd ${dir} && terraform force-unlock ${lockId}`)

    // The holder goes on; stop it (Ctrl-C), after which the lock is free again.
    holder.child().kill('SIGINT')
    expect((await holder.done).code).toBe(130)
    expect(fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info'))).toBe(false)
    const plan = await cli(['plan', '--dir', dir, '--json'])
    expect(plan.code, plan.stderr).toBe(0)
  })
})

describe('Ctrl-C during a real terraform apply', () => {
  function expectGracefulStop(r: CliResult, dir: string) {
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/Interrupted: terraform was stopped\. Check `terraform plan` before the next apply\./)
    expect(r.stdout.match(/Interrupt received\./g)).toHaveLength(1)
    expect(r.stdout).toContain('Gracefully shutting down...')
    // a second SIGINT would have made terraform quit without saving the state
    expect(r.stdout).not.toMatch(/Two interrupts received/)
    // The state is intact: valid, unlocked, the half-made resource recorded as tainted.
    expect(r.stderr).not.toMatch(/Two interrupts received/)
    const state = readState(dir)
    expect(state.resources.map((x) => [`${x.type}.${x.name}`, x.instances[0].status])).toEqual([
      ['terraform_data.slow', 'tainted'],
    ])
    expect(fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info'))).toBe(false)
  }

  it('SIGINT to dezc alone: dezc passes one SIGINT on, terraform stops gracefully, exit 130; the state is intact and the next plan replaces the tainted resource', async () => {
    const dir = configDir(SLOW_TF)
    const run = startSlowApply(dir)
    await run.running
    const t0 = Date.now()
    run.child().kill('SIGINT')
    const r = await run.done
    // well before the provisioner's 60 s sleep would have ended
    expect(Date.now() - t0).toBeLessThan(20_000)
    expectGracefulStop(r, dir)
    const plan = await cli(['plan', '--dir', dir, '--json'])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.json()).toMatchObject({changed: true, plan: {add: 1, change: 0, destroy: 1}})
    expect(plan.stderr).toMatch(/terraform_data\.slow is tainted, so must be\s+replaced/)
  })

  // Retried: about one run in three on a loaded machine, terraform 1.11.4 answers this one SIGINT
  // (strace: one kill() to the group, one SIGINT delivered to terraform, none sent by dezc) with
  // "Two interrupts received" and exits without saving state, when its provisioner's sleep dies of
  // the same signal. dezc's part — sending nothing of its own — holds every time.
  it(
    "a terminal's Ctrl-C (SIGINT to the whole process group, the provisioner's sleep included): terraform stops once, gracefully, exit 130, the state intact",
    {retry: 2},
    async () => {
      const dir = configDir(SLOW_TF)
      const run = startSlowApply(dir, {processGroup: true})
      await run.running
      const pid = run.child().pid!
      // terraform is in dezc's process group, so the group's SIGINT reaches it directly
      const terraformPid = terraformChild(pid)
      expect(terraformPid).toBeDefined()
      expect(procStat(terraformPid!)?.pgrp).toBe(pid)
      process.kill(-pid, 'SIGINT')
      const r = await run.done
      expectGracefulStop(r, dir)
    },
  )
})

describe('the generated Google configuration and the real terraform', () => {
  let dir: string
  beforeAll(async () => {
    dir = path.join(home, 'google')
    const r = await runCli(['tf', 'init', '--dir', dir, '--project', 'my-proj-123', '--skip-terraform-init'], {
      env: env(),
      cwd: home,
    })
    expect(r.code, r.stderr).toBe(0)
  })

  it('passes terraform fmt -check (main.tf, variables.tf, terraform.tfvars); a misformatted copy does not', () => {
    const fmt = spawnSync(tf.exe, ['fmt', '-check', '-diff', '-no-color', dir], {env: env(), encoding: 'utf8'})
    expect(fmt.stdout + fmt.stderr).toBe('')
    expect(fmt.status).toBe(0)
    expect(fs.readdirSync(dir).filter((f) => /\.tf(vars)?$/.test(f))).toEqual([
      'main.tf',
      'terraform.tfvars',
      'variables.tf',
    ])

    const off = fs.mkdtempSync(path.join(home, 'fmt-'))
    fs.writeFileSync(
      path.join(off, 'terraform.tfvars'),
      fs.readFileSync(path.join(dir, 'terraform.tfvars'), 'utf8').replace('project ', 'project'),
    )
    const bad = spawnSync(tf.exe, ['fmt', '-check', '-no-color'], {cwd: off, env: env(), encoding: 'utf8'})
    expect(bad.status).toBe(3)
    expect(bad.stdout.trim()).toBe('terraform.tfvars')
  })

  it('terraform init cannot reach the registry (its proxy refuses): tf init and tf plan say so (TF_REGISTRY_UNREACHABLE, exit 4), plan never runs', async () => {
    const noRegistry = {
      HTTPS_PROXY: 'http://127.0.0.1:9',
      https_proxy: 'http://127.0.0.1:9',
      NO_PROXY: '',
      no_proxy: '',
    }
    const init = await runCli(['tf', 'init', '--dir', dir, '--project', 'my-proj-123', '--json'], {
      env: env(noRegistry),
      cwd: home,
    })
    expect(init.code).toBe(4)
    expect(init.json().error).toMatchObject({
      code: 'TF_REGISTRY_UNREACHABLE',
      message: 'terraform init failed: terraform could not download the google provider.',
      details: {step: 'init', terraformError: 'Failed to query available provider packages'},
    })
    expect(init.stderr).toMatch(/could not connect to registry\.terraform\.io/)

    const plan = await cli(['plan', '--dir', dir], noRegistry)
    expect(plan.code).toBe(4)
    expect(plan.stderr).toMatch(/terraform init failed: .*\[TF_REGISTRY_UNREACHABLE\]/)
    expect(plan.stdout + plan.stderr).not.toMatch(/terraform plan failed|Planning failed/)
  })

  it('terraform version of the binary under test is the real release build (no -dev suffix)', () => {
    const out = JSON.parse(execFileSync(tf.exe, ['version', '-json'], {env: env(), encoding: 'utf8'})) as Record<
      string,
      unknown
    >
    const rel = releasePlatform(process.platform, process.arch)
    expect(out).toMatchObject({terraform_version: tf.version, platform: `${rel.os}_${rel.arch}`})
  })
})
