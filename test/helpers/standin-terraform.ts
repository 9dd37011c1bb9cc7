/**
 * A STAND-IN for the terraform executable (real terraform cannot be downloaded on the build
 * machines). It is a small Node script named `terraform` in a temp dir that tests put first on
 * PATH. It records each call (argv, cwd, the environment) to calls.jsonl and plays back what the
 * test's scenario says: the version it reports, and per subcommand an exit code, stdout and
 * stderr. Like terraform, `init` creates .terraform/providers and .terraform.lock.hcl, and
 * `plan -out=FILE` writes FILE. It knows nothing of HCL or Google: it exercises dezc's side only.
 */
import fs from 'node:fs'
import path from 'node:path'
import {makeTempDir} from './tmp.js'

export interface StandinStep {
  code?: number
  stdout?: string
  stderr?: string
  /** Keep running until SIGINT; then, like terraform, say "Interrupt received." and exit 1. */
  untilSigint?: boolean
}

export interface StandinScenario {
  /** Reported by `version -json` (default 1.11.4). */
  version?: string
  /** Only the pre-0.13 text form of `version` works (`version -json` fails). */
  textVersionOnly?: boolean
  /** Per subcommand (init, plan, apply, destroy, output): what to play back. */
  steps?: Record<string, StandinStep>
}

export interface StandinCall {
  argv: string[]
  cwd: string
  env: Record<string, string>
  pid: number
}

export interface Standin {
  /** Directory holding the `terraform` script: put it first on PATH. */
  binDir: string
  exe: string
  setScenario(s: StandinScenario): void
  calls(): StandinCall[]
  /** Calls other than the `version` probes. */
  runs(): StandinCall[]
  /** SIGINTs the stand-in received. */
  sigints(): number
  reset(): void
}

const SCRIPT = String.raw`
const fs = require('node:fs')
const path = require('node:path')
const here = __dirname
const scenario = JSON.parse(fs.readFileSync(path.join(here, 'scenario.json'), 'utf8'))
const argv = process.argv.slice(2)
const sub = argv[0]
const step = (scenario.steps || {})[sub] || {}
if (step.untilSigint) {
  // Installed before the call is logged, so a test that saw the call can signal safely.
  const timer = setInterval(() => {}, 1000)
  process.on('SIGINT', () => {
    fs.appendFileSync(path.join(here, 'signals.log'), 'SIGINT\n')
    process.stdout.write('Interrupt received.\nPlease wait for Terraform to exit or data loss may occur.\n')
    setTimeout(() => {
      clearInterval(timer)
      process.exit(1)
    }, 1500) // longer than dezc's 1 s grace, so a second, forwarded SIGINT would be seen
  })
}
fs.appendFileSync(path.join(here, 'calls.jsonl'), JSON.stringify({argv, cwd: process.cwd(), env: process.env, pid: process.pid}) + '\n')
if (sub === 'version') {
  const v = scenario.version || '1.11.4'
  if (argv.includes('-json')) {
    if (scenario.textVersionOnly) { process.stderr.write('flag provided but not defined: -json\n'); process.exit(1) }
    process.stdout.write(JSON.stringify({terraform_version: v, platform: 'linux_amd64', provider_selections: {}, terraform_outdated: false}) + '\n')
  } else process.stdout.write('Terraform v' + v + '\n')
  process.exit(0)
}
const code = step.code || 0
if (sub === 'init' && code === 0) {
  fs.mkdirSync('.terraform/providers', {recursive: true})
  fs.writeFileSync('.terraform.lock.hcl', '# stand-in lock file\n')
}
const out = argv.find((a) => a.startsWith('-out='))
if (sub === 'plan' && out && code !== 1) fs.writeFileSync(out.slice(5), 'stand-in plan file')
const defaults = {
  init: 'Terraform has been successfully initialized!\n',
  plan: 'No changes. Your infrastructure matches the configuration.\n',
  apply: 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.\n',
  destroy: 'Destroy complete! Resources: 0 destroyed.\n',
  output: '{}\n',
}
process.stdout.write(step.stdout !== undefined ? step.stdout : defaults[sub] || '')
process.stderr.write(step.stderr || '')
process.exitCode = code
`

export function createStandinTerraform(scenario: StandinScenario = {}): Standin {
  const binDir = makeTempDir('dezc-standin-terraform-')
  const exe = path.join(binDir, 'terraform')
  fs.writeFileSync(exe, `#!${process.execPath}\n${SCRIPT}`, {mode: 0o755})
  const scenarioFile = path.join(binDir, 'scenario.json')
  const callsFile = path.join(binDir, 'calls.jsonl')
  const setScenario = (s: StandinScenario) => fs.writeFileSync(scenarioFile, JSON.stringify(s))
  setScenario(scenario)
  const calls = (): StandinCall[] => {
    if (!fs.existsSync(callsFile)) return []
    const text = fs.readFileSync(callsFile, 'utf8')
    // Tests poll this while the stand-in may be half-way through appending a line: complete lines only.
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StandinCall)
  }
  return {
    binDir,
    exe,
    setScenario,
    calls,
    runs: () => calls().filter((c) => c.argv[0] !== 'version'),
    sigints: () =>
      fs.existsSync(path.join(binDir, 'signals.log'))
        ? fs.readFileSync(path.join(binDir, 'signals.log'), 'utf8').split('\n').filter(Boolean).length
        : 0,
    reset: () => fs.rmSync(callsFile, {force: true}),
  }
}

/** A PATH with the stand-in first and no real terraform anywhere (some machines have one in /usr/local/bin). */
export function pathWithout(terraformDirs: string[] = []): string {
  return [...terraformDirs, '/usr/bin', '/bin'].join(path.delimiter)
}
