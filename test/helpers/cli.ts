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
  /** stdout parsed as JSON (throws with the raw output when it is not JSON). */
  json<T = any>(): T
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  input?: string
  timeoutMs?: number
  /** Called once with the child, e.g. to send SIGINT mid-way. */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: {...process.env, NODE_ENV: 'production', CI: 'true', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`dezc ${args.join(' ')} timed out after ${options.timeoutMs ?? 120_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout)
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}).\nstdout: ${stdout}\nstderr: ${stderr}`)
          }
        },
      })
    })
    options.onSpawn?.(child)
    child.stdin.end(options.input ?? '')
  })
}
