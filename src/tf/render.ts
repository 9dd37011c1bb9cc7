/** Human output of the `dezc tf` commands (the --json result is the returned object itself). */
import {describeWrite, type WriteAction} from '../core/managed-files.js'
import type {InstallResult} from './install.js'
import type {PlannedCommand} from './plan.js'
import type {InitResult, RunTfResult} from './service.js'

export function formatCommands(commands: PlannedCommand[]): string[] {
  return ['Would run:', ...commands.map((c) => `  ${c.shell}`)]
}

/** plan/apply/destroy. */
export function formatRunResult(r: RunTfResult): string[] {
  if (r.dryRun)
    return [
      `Dry run (terraform ${r.action} in ${r.dir}; credentials: ${r.credentials}).`,
      ...formatCommands(r.commands),
    ]
  const lines: string[] = []
  const p = r.plan
  if (r.action === 'plan') {
    lines.push(
      r.changed
        ? `Plan: ${p ? `${p.add} to add, ${p.change} to change, ${p.destroy} to destroy` : 'changes pending'}. Apply with: dezc tf apply`
        : 'No changes: the infrastructure matches the configuration.',
    )
  }
  if (r.action === 'destroy')
    lines.push(
      r.changed === false
        ? 'Nothing to destroy.'
        : `Destroyed${p ? ` (${p.destroy} resource${p.destroy === 1 ? '' : 's'})` : ''}.`,
    )
  if (r.action === 'apply') {
    lines.push(
      r.changed === false
        ? 'No changes: already up to date.'
        : `Applied${p ? ` (${p.add} added, ${p.change} changed, ${p.destroy} destroyed)` : ''}.`,
    )
    if (r.outputs && Object.keys(r.outputs).length > 0) {
      lines.push('Outputs:')
      const w = Math.max(...Object.keys(r.outputs).map((k) => k.length))
      for (const [k, v] of Object.entries(r.outputs))
        lines.push(`  ${k.padEnd(w)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    }
  }
  return lines
}

/** `tf init`; `dirFlag` is the --dir as given, for the next-step hint. */
export function renderInit(r: InitResult, dirFlag?: string): string[] {
  const s = r.settings
  const verb = (a: WriteAction) => describeWrite(a, r.dryRun)
  const lines = [`${r.dryRun ? 'Dry run: ' : ''}terraform files in ${r.dir}`]
  for (const w of r.files) lines.push(`  ${w.name.padEnd(18)} ${verb(w.action)}`)
  lines.push('Values (terraform.tfvars):')
  const rows: Array<[string, string, string]> = [
    ['project', s.project, r.sources.project],
    ['region', s.region, r.sources.region],
    ['location', s.location, r.sources.location],
    ['bucket', s.bucket, r.sources.bucket],
    ['dataset', s.dataset, r.sources.dataset],
    ['storage class', s.storageClass, r.sources.storageClass],
    ['credentials', s.credentials, r.sources.credentials],
  ]
  const w = Math.max(...rows.map(([, v]) => v.length))
  for (const [k, v, src] of rows) lines.push(`  ${k.padEnd(14)} ${v.padEnd(w)}  (${src})`)
  if (r.dryRun) lines.push(...formatCommands(r.commands))
  else if (r.terraformInit.ran)
    lines.push(
      `terraform init done (terraform ${r.terraformInit.version}). Next: dezc tf plan${dirFlag ? ` --dir ${dirFlag}` : ''}`,
    )
  else lines.push(`terraform init not run: ${r.terraformInit.reason}`)
  return lines
}

export function renderInstall(r: InstallResult): string[] {
  const lines: string[] = []
  if (r.action === 'dry-run') {
    lines.push(`Dry run: would download ${r.url}`, `  verify it against ${r.sumsUrl}`, `  and install ${r.path}`)
  } else if (r.action === 'unchanged') lines.push(`terraform ${r.version} is already installed at ${r.path}.`)
  else
    lines.push(
      `Installed terraform ${r.version} (${r.os}_${r.arch}) at ${r.path} (sha256 ${r.sha256} verified${r.fromCache ? ', from the download cache' : ''}).`,
    )
  if (r.shadowedBy)
    lines.push(
      `Note: ${r.shadowedBy} comes first on PATH and shadows it; put ${r.path.replace(/\/[^/]+$/, '')} earlier in PATH or remove the other one.`,
    )
  if (r.pathHint) {
    lines.push(`${r.path.replace(/\/[^/]+$/, '')} is not on your PATH. Add it:`)
    for (const l of r.pathHint) lines.push(`  ${l}`)
  }
  return lines
}
