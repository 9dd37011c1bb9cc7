/** Human output of the `dezc flow` commands (the --json result is the returned object itself). */
import {describeWrite} from '../core/managed-files.js'
import type {DownResult, InitResult, RunResult, StatusResult, UpResult} from './service.js'

export function renderInit(r: InitResult): string[] {
  const lines = [`${r.dryRun ? 'Dry run: ' : ''}Prefect ${r.prefectVersion} project in ${r.dir}`]
  for (const f of r.files) lines.push(`  ${f.name.padEnd(18)} ${describeWrite(f.action, r.dryRun)}`)
  if (!r.dryRun) lines.push('Next:', ...r.next.map((c) => `  ${c}`))
  return lines
}

export function renderUp(r: UpResult): string[] {
  if (r.dryRun)
    return [
      `Dry run: Prefect in ${r.dir} — server ${r.plan.server === 'running' ? 'already running' : `would start on ${r.url}`}, worker ${
        r.plan.worker === 'running' ? 'already running' : 'would start'
      }${r.plan.installPrefect ? ', Prefect would be installed first' : ''}.`,
      'By hand:',
      ...r.plan.manual.map((c) => `  ${c}`),
    ]
  const verb = (started?: boolean) => (started ? 'started' : 'already running')
  return [
    `Prefect server ${verb(r.server?.started)} (pid ${r.server?.pid}), worker ${verb(r.worker?.started)} (pid ${r.worker?.pid}, pool ${r.pool}).`,
    `Deployments${r.deployed ? ' (deployed now)' : ''}: ${r.deployments.join(', ') || '(none)'}`,
    `UI: ${r.url}`,
    `Run one: dezc flow run ingest --param dataset=yellow --param months=2021-01`,
  ]
}

export function renderDown(r: DownResult): string[] {
  if (r.stopped.length === 0) return [`Nothing was running for ${r.dir}.`]
  return [
    ...r.stopped.map(
      (s) => `Stopped the ${s.name} (pid ${s.pid}${s.how === 'killed' ? ', killed after the grace period' : ''}).`,
    ),
    `Runs and deployments are kept in ${r.kept}; dezc flow up starts again.`,
  ]
}

export function renderStatus(r: StatusResult): {lines: string[]; problem?: string} {
  const lines = [
    `server   ${r.server.running ? `running (pid ${r.server.pid})` : 'stopped'}${r.server.running ? (r.server.healthy ? `, healthy at ${r.url}` : ', not answering') : ''}`,
    `worker   ${r.worker.running ? `running (pid ${r.worker.pid})` : 'stopped'}${r.worker.running ? (r.worker.online ? `, online in pool ${r.pool}` : ', not registered') : ''}`,
    `deployments  ${r.deployments.join(', ') || (r.server.healthy ? '(none)' : '(unknown: server down)')}`,
  ]
  return {lines, problem: r.up ? undefined : `Prefect is not fully up for ${r.dir}: dezc flow up`}
}

export function renderRun(r: RunResult): string[] {
  return [
    `Flow run ${r.name} of ${r.deployment}: ${r.stateName} in ${r.seconds} s.`,
    ...r.taskRuns.map(
      (t) => `  ${t.name}: ${t.state.toLowerCase()}${t.runCount > 1 ? ` after ${t.runCount} attempts` : ''}`,
    ),
    `  ${r.url}`,
  ]
}
