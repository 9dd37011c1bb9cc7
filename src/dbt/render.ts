/** `dezc dbt` results → lines for people (--json prints the results themselves). */
import {connectionWhere} from './project.js'
import type {WriteAction} from '../core/managed-files.js'
import {renderChecks} from '../doctor/render.js'
import type {DbtInstallResult} from './install.js'
import type {DbtDoctorResult, DbtInitResult} from './service.js'

const VERB: Record<WriteAction, string> = {
  create: 'create',
  update: 'update',
  unchanged: 'same  ',
  'keep-edited': 'KEEP  ',
  'overwrite-edited': 'REPLACE',
}

export function renderInit(r: DbtInitResult): string[] {
  const c = r.connection
  const lines = [
    `${r.dryRun ? 'Would write' : 'Wrote'} the dbt project in ${r.dir} (target ${r.target}: ${connectionWhere(c)}).`,
    '',
    'Sources (what dezc ingest loaded):',
    ...r.sources.map(
      (s) =>
        `  ${s.table.padEnd(20)} ${s.dataset.padEnd(6)} ${s.periods.join(', ')}  ${s.rows} rows, ${s.columns} columns -> ${s.model}`,
    ),
    ...r.skipped.map((s) => `  skipped: ${s}`),
    `Zone seed: ${r.seed.rows} rows, ${
      r.seed.origin === 'warehouse'
        ? 'from the zones table'
        : r.seed.origin === 'download'
          ? `downloaded from ${r.seed.from}`
          : `PLACEHOLDER (${r.seed.from})`
    }`,
    '',
    'Files:',
    ...r.files.map((f) => `  ${VERB[f.action]} ${f.name}${f.backup ? ` (yours saved as ${f.name}.bak)` : ''}`),
  ]
  if (!r.dryRun) lines.push('', 'Next:', ...r.next.map((n) => `  ${n}`))
  return lines
}

export function renderDoctor(r: DbtDoctorResult): string[] {
  return [renderChecks(r.checks)]
}

export function renderInstall(r: DbtInstallResult): string[] {
  const lines: string[] = []
  if (r.action === 'reused')
    lines.push(
      `dbt ${r.dbt!.version} with dbt-${r.target} ${r.dbt!.adapters[r.target]} is already there (${r.dbt!.executable}): nothing installed.`,
      `(dezc dbt install --force puts the pinned ${r.packages.join(' ')} into ${r.venv} instead.)`,
    )
  else {
    for (const why of r.rejected) lines.push(`Not usable: ${why}`)
    lines.push(`${r.dryRun ? 'Would run' : 'Ran'}:`, ...r.commands.map((c) => `  ${c}`))
    if (r.dbt)
      lines.push(
        '',
        `Installed in ${r.venv}: dbt-core ${r.dbt.version}, ${Object.entries(r.dbt.adapters)
          .map(([a, v]) => `dbt-${a} ${v}`)
          .join(', ')} (pinned: ${r.packages.join(' ')}).`,
      )
  }
  if (!r.dryRun) lines.push('', 'Next: dezc dbt debug, then dezc dbt seed / run / test.')
  return lines
}
