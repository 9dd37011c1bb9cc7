/**
 * The Python side: the virtual environment that holds Prefect (created with uv when it is on PATH,
 * else python3 -m venv + pip), the environment every Prefect process of a project gets, and running
 * the `prefect` CLI for the one-shot steps (work pool, deploy).
 */
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {runProcess} from '../core/process.js'
import {shellQuote} from '../core/shell.js'
import type {Reporter} from '../core/ui.js'
import {prefectBin, serverUrl} from './plan.js'
import {PREFECT_VERSION, WORKER_QUERY_SECONDS, type FlowSettings} from './settings.js'

/** The environment of the project's server, worker and CLI calls (and so of the flow's tasks). */
export function prefectEnv(
  settings: FlowSettings,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...env,
    PREFECT_HOME: settings.paths.prefectHome,
    PREFECT_API_URL: `${serverUrl(port)}/api`,
    PREFECT_SERVER_API_HOST: '127.0.0.1',
    PREFECT_SERVER_API_PORT: String(port),
    PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
    PREFECT_WORKER_QUERY_SECONDS: env.PREFECT_WORKER_QUERY_SECONDS || WORKER_QUERY_SECONDS,
    PREFECT_CLI_COLORS: 'false',
    PYTHONUNBUFFERED: '1',
    DEZC_FLOW_DEZC: settings.dezcCommand,
  }
  // The project's server must not be shadowed by a profile of the user's ~/.prefect.
  delete out.PREFECT_PROFILE
  return out
}

function lastLines(text: string, n = 20): string {
  return text.trim().split('\n').slice(-n).join('\n')
}

/** Create the venv and install the pinned Prefect into it. */
export async function installPrefect(
  settings: FlowSettings,
  reporter: Reporter,
  signal?: AbortSignal,
): Promise<string> {
  const venv = settings.venv
  const python = path.join(venv, 'bin', 'python')
  const uv = await runProcess('uv', ['--version'], {signal})
  const steps: Array<[string, string[]]> = uv.spawnError
    ? [
        ['python3', ['-m', 'venv', venv]],
        [
          path.join(venv, 'bin', 'pip'),
          ['install', '-q', '--disable-pip-version-check', `prefect==${PREFECT_VERSION}`],
        ],
      ]
    : [
        ['uv', ['venv', '-q', '--allow-existing', '--python', 'python3', venv]],
        ['uv', ['pip', 'install', '-q', '--python', python, `prefect==${PREFECT_VERSION}`]],
      ]
  reporter.info(
    `Installing Prefect ${PREFECT_VERSION} into ${venv} (${uv.spawnError ? 'python3 -m venv + pip' : 'uv'})...`,
  )
  for (const [file, args] of steps) {
    const r = await runProcess(file, args, {signal})
    if (r.code !== 0) {
      const manual = steps.map(([f, a]) => [f, ...a].map(shellQuote).join(' '))
      throw new DezcError({
        code: 'PREFECT_NOT_INSTALLED',
        message: `Prefect is not installed in ${venv}, and installing it failed: ${[file, ...args].join(' ')} ${
          r.spawnError ? `could not start (${r.spawnError.code})` : `exited ${r.code}`
        }.\n${lastLines(r.stderr || r.stdout)}`,
        suggestion: [
          `Install it by hand (Python >= 3.9 needed): ${manual.join(' && ')}`,
          'or point dezc at an environment that has it: --venv DIR (DEZC_FLOW_VENV, config flow.venv).',
        ],
        exit: ExitCode.PREREQUISITE,
      })
    }
  }
  return prefectBin(venv)
}

/** A one-shot `prefect ...` in the project directory; a failure is FLOW_DEPLOY_FAILED with its output. */
export async function runPrefect(
  settings: FlowSettings,
  port: number,
  args: string[],
  signal?: AbortSignal,
): Promise<string> {
  const r = await runProcess(prefectBin(settings.venv), args, {
    cwd: settings.paths.dir,
    env: prefectEnv(settings, port),
    signal,
    timeoutMs: 300_000,
  })
  if (r.code !== 0)
    throw new DezcError({
      code: 'FLOW_DEPLOY_FAILED',
      message: `prefect ${args.join(' ')} failed (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}):\n${lastLines(r.stdout + r.stderr, 30)}`,
      suggestion: `Fix ${path.join(settings.paths.dir, 'prefect.yaml')} or the flow, then run dezc flow up again.`,
    })
  return r.stdout
}

export {lastLines}
