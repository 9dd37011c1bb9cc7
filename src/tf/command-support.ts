/** Glue between the tf commands and the services: the service context, and printing planned commands. */
import type {LoadedConfig} from '../config/load.js'
import type {Ui} from '../core/ui.js'
import {gcpConfigView} from './credentials.js'
import {tfConfigSchema} from './settings.js'
import type {PlannedCommand, TfContext} from './workflow.js'

export function buildTfContext(config: LoadedConfig, ui: Ui, signal: AbortSignal, json: boolean): TfContext {
  const env = process.env
  return {
    ui,
    env,
    signal,
    config: config.section('tf', tfConfigSchema) ?? {},
    gcp: gcpConfigView(config.raw('gcp')),
    cwd: process.cwd(),
    // Under --json stdout carries only the result: terraform's own output goes to stderr.
    out: {stdout: json ? process.stderr : process.stdout, stderr: process.stderr},
    noColor: json || Boolean(env.NO_COLOR) || !(json ? process.stderr.isTTY : process.stdout.isTTY),
  }
}

export function formatCommands(commands: PlannedCommand[]): string[] {
  return ['Would run:', ...commands.map((c) => `  ${c.shell}`)]
}

/** Human rendering of a plan/apply/destroy result (the --json result is the object itself). */
export function formatRunResult(r: import('./workflow.js').RunTfResult): string[] {
  if (r.dryRun) return [`Dry run (terraform ${r.action} in ${r.dir}; credentials: ${r.credentials}).`, ...formatCommands(r.commands)]
  const lines: string[] = []
  const p = r.plan
  if (r.action === 'plan') {
    lines.push(r.changed ? `Plan: ${p ? `${p.add} to add, ${p.change} to change, ${p.destroy} to destroy` : 'changes pending'}. Apply with: dezc tf apply` : 'No changes: the infrastructure matches the configuration.')
  }
  if (r.action === 'destroy') lines.push(r.changed === false ? 'Nothing to destroy.' : `Destroyed${p ? ` (${p.destroy} resources)` : ''}.`)
  if (r.action === 'apply') {
    lines.push(r.changed === false ? 'No changes: already up to date.' : `Applied${p ? ` (${p.add} added, ${p.change} changed, ${p.destroy} destroyed)` : ''}.`)
    if (r.outputs && Object.keys(r.outputs).length > 0) {
      lines.push('Outputs:')
      const w = Math.max(...Object.keys(r.outputs).map((k) => k.length))
      for (const [k, v] of Object.entries(r.outputs)) lines.push(`  ${k.padEnd(w)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    }
  }
  return lines
}
