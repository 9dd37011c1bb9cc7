/** Run the built CLI as a real child process: argv in; stdout, stderr and exit code out. */
import {spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  /**
   * The --json result: stdout must be one envelope (src/core/json.ts) whose status is the exit code;
   * returns its `result` on success, `{error}` on failure. Throws with the raw output otherwise.
   */
  json<T = any>(): T
  /** stdout parsed as the raw envelope {status, result | error, warnings}, checked the same way. */
  envelope(): {status: number; result?: any; error?: any; warnings: string[]}
}

/** Parse and check one --json envelope; the assertions every `--json` test gets for free. */
export function parseEnvelope(
  stdout: string,
  code: number | null,
  context: string,
): {status: number; result?: any; error?: any; warnings: string[]} {
  let env: any
  try {
    env = JSON.parse(stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${code}).\nstdout: ${stdout}\n${context}`)
  }
  const keys = env && typeof env === 'object' ? Object.keys(env).sort().join(',') : typeof env
  const ok = keys === 'result,status,warnings' || keys === 'error,status,warnings'
  if (!ok || env.status !== code || !Array.isArray(env.warnings))
    throw new Error(
      `stdout is not a dezc JSON envelope with status ${code} (keys: ${keys}, status: ${env?.status}).\nstdout: ${stdout}\n${context}`,
    )
  if (
    env.error &&
    (typeof env.error.code !== 'string' ||
      typeof env.error.message !== 'string' ||
      !Array.isArray(env.error.suggestions) ||
      env.error.exit !== code)
  ) {
    throw new Error(`error envelope lacks code/message/suggestions/exit=${code}.\nstdout: ${stdout}`)
  }
  return env
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  input?: string
  timeoutMs?: number
  /** Called once with the child, e.g. to send SIGINT mid-way. */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void
  /**
   * Start dezc as the leader of its own process group, so `process.kill(-child.pid, 'SIGINT')`
   * reaches dezc and everything it started, the way a terminal's Ctrl-C does.
   */
  processGroup?: boolean
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: {...process.env, NODE_ENV: 'production', CI: 'true', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.processGroup ?? false,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `dezc ${args.join(' ')} timed out after ${options.timeoutMs ?? 120_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      )
    }, options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({
        code,
        stdout,
        stderr,
        json() {
          const env = parseEnvelope(stdout, code, `stderr: ${stderr}`)
          return 'error' in env ? {error: env.error} : env.result
        },
        envelope() {
          return parseEnvelope(stdout, code, `stderr: ${stderr}`)
        },
      })
    })
    options.onSpawn?.(child)
    child.stdin.end(options.input ?? '')
  })
}
