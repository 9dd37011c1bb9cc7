/** Human output of `dezc spark install|doctor` (the --json result is the returned object itself). */
import type {DoctorResult} from './doctor.js'
import type {InstallResult} from './service.js'
import type {SubmitResult} from './submit.js'
import type {ClusterDownResult, ClusterStatusResult, ClusterUpResult} from './cluster.js'

export function renderInstall(r: InstallResult): string[] {
  const java = `Java ${r.java.version ?? r.java.major} (${r.java.source}) at ${r.javaHome}`
  if (r.dryRun) {
    return [
      `Dry run: nothing was changed. Spark ${r.version} -> ${r.sparkHome}; ${java}; rc: ${r.rcFile} (${r.shell}).`,
      'Would:',
      ...r.actions.map((a) => `  - ${a}`),
      '\nEquivalent manual commands:',
      ...(r.commands ?? []),
    ]
  }
  if (!r.changed)
    return [
      `Everything is already in place: Spark ${r.version} at ${r.sparkHome}, ${java}, block in ${r.rcFile}. Nothing changed.`,
    ]
  return [
    `Installed Spark ${r.version} at ${r.sparkHome} (py4j ${r.py4j}); ${java}.`,
    ...r.actions.map((a) => `  - ${a}`),
    `Open a new terminal, or run: source ${r.rcFile}`,
    'Then check it with: dezc spark doctor',
  ]
}

const MARK = {ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip'} as const

export function renderDoctor(result: DoctorResult): string[] {
  const lines: string[] = []
  for (const c of result.checks) {
    lines.push(`[${MARK[c.status]}] ${c.title}: ${c.detail}`)
    if (c.fix && (c.status === 'warn' || c.status === 'fail')) lines.push(`       fix: ${c.fix}`)
  }
  const {ok, warn, fail} = result.counts
  lines.push(`\n${ok} ok, ${warn} warning(s), ${fail} failure(s).`)
  return lines
}

/** After the job (on stderr, so the job's stdout stays its own), or the --dry-run plan. */
export function renderSubmit(r: SubmitResult): string[] {
  const what = `Spark ${r.sparkVersion ?? '?'} at ${r.sparkHome} (${r.sources.sparkHome}), Java ${r.javaVersion} at ${r.javaHome} (${r.sources.javaHome}), Python ${r.python}, master ${r.master}`
  if (r.dryRun) return [`Dry run: would run, with ${what}:`, r.shell]
  return [
    r.exitCode === 0
      ? `spark-submit finished in ${r.seconds?.toFixed(1)} s (${what}).`
      : `spark-submit exited ${r.exitCode} after ${r.seconds?.toFixed(1)} s (${what}).`,
  ]
}

export function renderClusterUp(r: ClusterUpResult): string[] {
  if (r.dryRun)
    return [
      `Dry run: nothing was changed. A Spark cluster (${r.image}) on network ${r.network.name}:`,
      ...r.containers.map((c) => `  - ${c.action} ${c.container}`),
      '\nEquivalent docker commands:',
      ...(r.commands ?? []),
    ]
  return [
    `Spark cluster ${r.changed ? 'up' : 'already up, nothing changed'}: ${r.workersRegistered} worker(s) registered (${r.seconds} s).`,
    ...r.containers.map((c) => `  ${c.container.padEnd(28)} ${c.action?.padEnd(10) ?? ''} ${c.state}`),
    `  Master: ${r.masterUrl}`,
    `  Web UI: ${r.uiUrl}`,
    `  Inside the stack's network: ${r.internalUrl}`,
    `  On ${engineLine(r.engine)}`,
    'Next:',
    ...r.next.map((n) => `  ${n}`),
  ]
}

export function renderClusterStatus(r: ClusterStatusResult): string[] {
  if (r.containers.length === 0)
    return [`No Spark cluster on this stack (${engineLine(r.engine)}): dezc spark cluster up.`]
  const lines = [...r.containers.map((c) => `  ${c.container.padEnd(28)} ${c.state}`)]
  if (!r.running) return [...lines, `Spark cluster down: the master is not running (${engineLine(r.engine)}).`]
  const head = `Master ${r.masterUrl ?? '?'} (UI ${r.uiUrl ?? '?'}): ${r.workersRegistered} of ${r.workersExpected} worker(s) registered`
  if (r.state === 'healthy') return [...lines, `${head}; healthy.`]
  return [
    ...lines,
    `${head}; DEGRADED: ${r.lost.length} worker(s) lost.`,
    ...r.lost.map(
      (w) => `  lost ${w.host}: container ${w.container} ${w.containerState}, ${masterSays(w.masterState)}`,
    ),
    'Running jobs go on with the workers left (Spark runs the lost tasks again there).',
    'Start the lost workers again with the same `dezc spark cluster up` as before.',
  ]
}

function masterSays(state: string): string {
  if (state === 'unknown') return "the master's status could not be read"
  if (state === 'unregistered') return 'not registered with the master'
  return `the master lists it ${state}`
}

function engineLine(e: ClusterStatusResult['engine']): string {
  return e.context ? `engine ${e.endpoint}, Docker context ${e.context}` : `engine ${e.endpoint}`
}

export function renderClusterDown(r: ClusterDownResult): string[] {
  const what = r.containersRemoved.length > 0 ? r.containersRemoved.join(', ') : 'no Spark cluster containers'
  return [
    `${r.dryRun ? 'Dry run: would remove' : 'Removed'} ${what}${r.networkRemoved ? ` and network ${r.networkRemoved}` : ''}.`,
  ]
}
