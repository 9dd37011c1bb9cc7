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
