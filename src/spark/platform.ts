/**
 * What the Spark installer asks of the machine: OS, architecture, environment, and running
 * programs. Injectable so the macOS/Homebrew and unsupported-platform decisions are unit-tested on
 * Linux; the real implementation runs programs through core/process.ts (no shell).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {runProcess} from '../core/process.js'
import {platformOverride} from '../core/test-knobs.js'

export interface RunResult {
  /** Exit code; null when the program could not be started (see `notFound`) or was killed. */
  code: number | null
  stdout: string
  stderr: string
  notFound?: boolean
  timedOut?: boolean
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
  signal?: AbortSignal
  /** Stream output lines (e.g. brew install) as they come. */
  onLine?: (line: string) => void
}

export interface Platform {
  os: NodeJS.Platform
  arch: string
  env: NodeJS.ProcessEnv
  run(cmd: string, args: string[], options?: RunOptions): Promise<RunResult>
  /** Absolute path of an executable on PATH (of `env`), or undefined. */
  which(cmd: string): Promise<string | undefined>
}

/** The real machine (the DEZC_PLATFORM test knob acts as another). */
export function nodePlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  const override = platformOverride(env)
  const platformOs = (override?.os ?? process.platform) as NodeJS.Platform
  const arch: string = override?.arch ?? process.arch
  return {
    os: platformOs,
    arch,
    env,
    run: (cmd, args, options = {}) => runProgram(cmd, args, {env, ...options}),
    which: (cmd) => whichIn(cmd, env.PATH ?? ''),
  }
}

export async function whichIn(cmd: string, pathVar: string): Promise<string | undefined> {
  if (cmd.includes('/')) return (await isExecutable(cmd)) ? cmd : undefined
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, cmd)
    if (await isExecutable(candidate)) return candidate
  }
  return undefined
}

export async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p)
    if (!st.isFile()) return false
    await fs.access(p, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

export async function runProgram(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const onLine = options.onLine
  const r = await runProcess(cmd, args, {
    env: options.env,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onOutput:
      onLine &&
      ((d) => {
        for (const line of d.split('\n')) if (line.trim()) onLine(line)
      }),
  })
  if (r.spawnError)
    return {
      code: null,
      stdout: r.stdout,
      stderr: r.stderr || r.spawnError.message,
      notFound: r.spawnError.code === 'ENOENT' || r.spawnError.code === 'EACCES',
    }
  return {code: r.code ?? null, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut}
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir()
}
