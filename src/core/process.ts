/**
 * Running a program (no shell) on execa: the one process runner of dezc's capabilities. execa is
 * imported on first use, so commands that never run a program (and `dezc --help`) do not load it.
 */
import {StringDecoder} from 'node:string_decoder'

export interface ProcessOptions {
  cwd?: string
  /** The program's whole environment (default process.env); not merged with dezc's own. */
  env?: NodeJS.ProcessEnv
  /** Kill the program (SIGKILL) after this long. */
  timeoutMs?: number
  /** Stop the program (SIGTERM) when this aborts. */
  signal?: AbortSignal
  /** Output as it comes, decoded as UTF-8. */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void
  /** Keep stdout and stderr in the result (default true; false for long, streamed output). */
  buffer?: boolean
  /** The running program, e.g. to pass it a signal. */
  onSpawn?: (child: {kill(signal: NodeJS.Signals): void}) => void
}

export interface ProcessResult {
  /** Exit code; undefined when the program did not start or was killed by a signal. */
  code?: number
  /** The signal that ended it, e.g. SIGKILL after `timeoutMs`. */
  signal?: string
  stdout: string
  stderr: string
  timedOut: boolean
  /** Why the program could not be started (ENOENT, EACCES, ...). */
  spawnError?: NodeJS.ErrnoException
}

export async function runProcess(file: string, args: string[], o: ProcessOptions = {}): Promise<ProcessResult> {
  const {execa} = await import('execa')
  const child = execa(file, args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    stripFinalNewline: false,
    buffer: o.buffer ?? true,
    cancelSignal: o.signal,
  })
  // Our own timer: a timeout kills (SIGKILL) while an abort still asks politely (SIGTERM).
  let timedOut = false
  const timer = o.timeoutMs
    ? setTimeout(() => {
        timedOut = true
        child.kill('SIGKILL')
      }, o.timeoutMs)
    : undefined
  if (o.onOutput) {
    for (const name of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8')
      child[name]?.on('data', (chunk: Buffer) => o.onOutput!(decoder.write(chunk), name))
    }
  }
  o.onSpawn?.(child)
  const r = await child.finally(() => clearTimeout(timer))
  const started = r.exitCode !== undefined || r.signal !== undefined
  return {
    code: r.exitCode,
    signal: r.signal,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut,
    spawnError: started
      ? undefined
      : ((r.cause as NodeJS.ErrnoException | undefined) ?? Object.assign(new Error(r.shortMessage), {code: r.code})),
  }
}

/**
 * Start a long-running program in the background, in its own process group (so it outlives dezc
 * and can be stopped with its children), stdout and stderr appended to `logFile`. Returns its pid.
 */
export async function startDetached(
  file: string,
  args: string[],
  o: {cwd?: string; env?: NodeJS.ProcessEnv; logFile: string},
): Promise<number> {
  const [{spawn}, fs] = await Promise.all([import('node:child_process'), import('node:fs')])
  const fd = fs.openSync(o.logFile, 'a')
  try {
    const child = spawn(file, args, {cwd: o.cwd, env: o.env ?? process.env, detached: true, stdio: ['ignore', fd, fd]})
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', () => resolve(child.pid!))
    })
    child.unref()
    return pid
  } finally {
    fs.closeSync(fd)
  }
}

/** Whether a process of this pid exists (and, on Linux, its command line contains `match`). */
export async function processAlive(pid: number, match?: string): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  if (process.platform !== 'linux') return true
  const fs = await import('node:fs/promises')
  // A zombie (state Z) has exited; only its parent has not collected it yet.
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  if (/^\d+ \(.*\) Z/.test(stat)) return false
  if (!match) return true
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined)
  return cmdline === undefined || cmdline.includes(match)
}

/**
 * Stop a process started by startDetached: SIGTERM to its group, then SIGKILL after `graceMs`.
 * Returns how it ended: 'terminated' (went on SIGTERM), 'killed', or 'gone' (was not running).
 */
export async function stopProcessGroup(pid: number, graceMs = 15_000): Promise<'terminated' | 'killed' | 'gone'> {
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal)
      return true
    } catch {
      try {
        process.kill(pid, signal)
        return true
      } catch {
        return false
      }
    }
  }
  if (!(await processAlive(pid)) || !send('SIGTERM')) return 'gone'
  const until = Date.now() + graceMs
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200))
    if (!(await processAlive(pid))) return 'terminated'
  }
  send('SIGKILL')
  return 'killed'
}
