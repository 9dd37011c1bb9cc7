/**
 * Running the terraform executable: find it on PATH, check its version (`terraform version -json`,
 * falling back to the text form of versions before 0.13), run a subcommand in a directory with
 * its output streamed to the user while a copy is kept for error diagnosis.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode, InterruptedError} from '../core/errors.js'
import {runProcess, type ProcessResult} from '../core/process.js'
import {TERRAFORM_MIN_VERSION} from './files.js'

export function terraformExeName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'terraform.exe' : 'terraform'
}

/** The first executable `terraform` on PATH, like `command -v terraform`. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean)
  for (const d of dirs) {
    const candidate = path.join(d, name)
    try {
      const st = await fs.stat(candidate)
      if (!st.isFile()) continue
      await fs.access(candidate, fs.constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export function compareVersions(a: string, b: string): number {
  const pa = a
    .split(/[.-]/)
    .slice(0, 3)
    .map((x) => Number.parseInt(x, 10) || 0)
  const pb = b
    .split(/[.-]/)
    .slice(0, 3)
    .map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < 3; i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  }
  return 0
}

export interface CaptureResult {
  code: number
  stdout: string
  stderr: string
}

/** Run a command to completion, capturing its output (for `version` and `output -json`). */
export async function capture(
  file: string,
  args: string[],
  opts: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {},
): Promise<CaptureResult> {
  const r = await runProcess(file, args, opts)
  if (r.spawnError) throw r.spawnError
  return {code: exitCode(r), stdout: r.stdout, stderr: r.stderr}
}

/** A signal death counts as 128 (no exit code). */
function exitCode(r: ProcessResult): number {
  return r.code ?? (r.signal ? 128 : 1)
}

export function installGuidance(): string[] {
  return [
    'Install it with: dezc tf install   (downloads the official release, checks its SHA256SUMS, puts it in ~/.local/bin)',
    'Or follow https://developer.hashicorp.com/terraform/install, then make sure `terraform version` works in this shell.',
  ]
}

export interface TerraformInfo {
  path: string
  version: string
  platform?: string
}

/** Parse `terraform version -json`, or the text form ("Terraform v1.5.7"). */
export function parseVersionOutput(stdout: string): {version?: string; platform?: string} {
  try {
    const j = JSON.parse(stdout) as {terraform_version?: unknown; platform?: unknown}
    if (typeof j.terraform_version === 'string')
      return {version: j.terraform_version, platform: typeof j.platform === 'string' ? j.platform : undefined}
  } catch {
    // not JSON
  }
  const m = stdout.match(/Terraform v(\d+\.\d+\.\d+[^\s]*)/)
  return {version: m?.[1]}
}

/** Find terraform on PATH and check it is new enough; missing or old => exit 4 with install guidance. */
export async function ensureTerraform(
  env: NodeJS.ProcessEnv,
  minVersion = TERRAFORM_MIN_VERSION,
): Promise<TerraformInfo> {
  const exe = await findOnPath(terraformExeName(), env)
  if (!exe) {
    throw new DezcError({
      code: 'TERRAFORM_NOT_FOUND',
      message: 'terraform is not installed (not found on PATH).',
      suggestion: installGuidance(),
      exit: ExitCode.PREREQUISITE,
    })
  }
  let out: CaptureResult
  try {
    out = await capture(exe, ['version', '-json'], {env, timeoutMs: 30_000})
    if (out.code !== 0) out = await capture(exe, ['version'], {env, timeoutMs: 30_000})
  } catch (error) {
    throw new DezcError({
      code: 'TERRAFORM_BROKEN',
      message: `${exe} could not be run: ${(error as Error).message}`,
      suggestion: installGuidance(),
      exit: ExitCode.PREREQUISITE,
      cause: error,
    })
  }
  const {version, platform} = parseVersionOutput(out.stdout)
  if (!version) {
    throw new DezcError({
      code: 'TERRAFORM_BROKEN',
      message: `${exe} did not report its version (exit ${out.code}).`,
      suggestion: installGuidance(),
      exit: ExitCode.PREREQUISITE,
    })
  }
  if (compareVersions(version, minVersion) < 0) {
    throw new DezcError({
      code: 'TERRAFORM_TOO_OLD',
      message: `${exe} is terraform ${version}; dezc needs ${minVersion} or newer.`,
      suggestion: installGuidance(),
      exit: ExitCode.PREREQUISITE,
    })
  }
  return {path: exe, version, platform}
}

export interface RunOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Where terraform's stdout goes (ours, or stderr under --json). */
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  signal?: AbortSignal
}

export interface RunResult {
  code: number
  /** stdout+stderr, ANSI codes removed, the last ~1 MB (for diagnosis). */
  output: string
}

const MAX_KEEP = 1024 * 1024
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '')
}

/**
 * Run terraform with its output streamed. On abort (Ctrl-C), terraform usually got the same
 * SIGINT from the terminal and is stopping gracefully; a second SIGINT would make it exit
 * without saving state, so one is forwarded only if terraform has not acknowledged it in 1 s.
 */
export async function runStreaming(exe: string, args: string[], opts: RunOptions): Promise<RunResult> {
  let kept = ''
  let child: {kill(signal: NodeJS.Signals): void} | undefined
  let forwardTimer: NodeJS.Timeout | undefined
  const onAbort = () => {
    forwardTimer = setTimeout(() => {
      if (!/Interrupt received/i.test(kept)) child?.kill('SIGINT')
    }, 1000)
  }
  opts.signal?.addEventListener('abort', onAbort, {once: true})
  let r: ProcessResult
  try {
    // No signal for runProcess: terraform is stopped by the SIGINT above, never by SIGTERM.
    r = await runProcess(exe, args, {
      cwd: opts.cwd,
      env: opts.env,
      buffer: false,
      onSpawn: (c) => (child = c),
      onOutput: (text, stream) => {
        kept += text
        if (kept.length > MAX_KEEP * 2) kept = kept.slice(-MAX_KEEP)
        if (stream === 'stdout') opts.stdout.write(text)
        else opts.stderr.write(text)
      },
    })
  } finally {
    if (forwardTimer) clearTimeout(forwardTimer)
    opts.signal?.removeEventListener('abort', onAbort)
  }
  if (r.spawnError)
    throw new DezcError({
      code: 'TERRAFORM_BROKEN',
      message: `Could not run ${exe}: ${r.spawnError.message}`,
      suggestion: installGuidance(),
      exit: ExitCode.PREREQUISITE,
      cause: r.spawnError,
    })
  if (opts.signal?.aborted)
    throw new InterruptedError('Interrupted: terraform was stopped. Check `terraform plan` before the next apply.')
  return {code: exitCode(r), output: stripAnsi(kept.slice(-MAX_KEEP))}
}
