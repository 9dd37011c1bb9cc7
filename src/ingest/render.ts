/** Human output of `dezc ingest` (--json prints the results themselves). */
import type {IngestDryRun} from './plan.js'
import type {IngestSummary} from './service.js'

export function renderIngestDryRun(r: IngestDryRun): string {
  const lines = [`Dry run: nothing is downloaded or written. Target ${r.target}, table ${r.table}.`, '', 'Plan:']
  for (const s of r.steps)
    lines.push(
      `  ${s.action.padEnd(12)} ${s.period.padEnd(8)} ${s.action === 'skip' ? `already loaded (${s.rows?.toLocaleString('en-US')} rows)` : s.source}`,
    )
  lines.push('', r.commands.length > 0 ? 'Roughly the same by hand (psql asks for the password):' : 'Nothing to do.')
  for (const c of r.commands) lines.push(`  ${c}`)
  return lines.join('\n')
}

export function renderIngestSummary(summary: IngestSummary): string[] {
  return summary.loads.map((l) => {
    const what = `${l.dataset}${l.period === 'lookup' ? '' : ' ' + l.period}`
    if (l.status === 'skipped')
      return `${what}: already loaded in ${l.table} (${l.rows.toLocaleString('en-US')} rows${l.loadId === undefined ? '' : `, load ${l.loadId}`}); nothing to do. Use --force to reload it.`
    return `${what}: ${l.status} ${l.rows.toLocaleString('en-US')} rows into ${l.table} in ${l.seconds.toFixed(1)} s${l.loadId === undefined ? '' : ` (load ${l.loadId})`}.`
  })
}
