/** Human output of `dezc gcp *` (the --json result is the returned object itself). */
import type {PlanStep, StatusReport} from './plan.js'
import type {BootstrapPlanResult, BootstrapResult, TeardownPlanResult, TeardownResult} from './service.js'

function gcloudLines(plan: PlanStep[], none: string): string[] {
  const cmds = plan.flatMap((p) => p.gcloud)
  return cmds.length > 0 ? ['\nEquivalent gcloud commands:', ...cmds.map((c) => `  ${c}`)] : [`\n${none}`]
}

export function renderBootstrapPlan(r: BootstrapPlanResult): string[] {
  return [
    `Plan for ${r.serviceAccount} in ${r.project} (dry run: nothing is changed)`,
    ...r.plan.map((p) => `  ${p.step.padEnd(8)} ${p.action === 'none' ? 'ok      ' : p.action.padEnd(8)} ${p.detail}`),
    ...r.unknown.map((u) => `  (could not check ${u})`),
    ...gcloudLines(r.plan, 'Nothing to do.'),
  ]
}

export function renderBootstrap(r: BootstrapResult): string[] {
  return [...r.steps.map((s) => `${s.step.padEnd(8)} ${s.outcome}: ${s.detail}`), '', r.export]
}

export function renderStatus(r: StatusReport): string[] {
  const mark = (v: boolean | null) => (v === true ? 'ok     ' : v === false ? 'MISSING' : 'unknown')
  const lines = [`Project ${r.project}, account ${r.serviceAccount}`]
  for (const a of r.apis) lines.push(`  api      ${mark(a.enabled)} ${a.name}`)
  lines.push(`  account  ${mark(r.account.exists)} ${r.serviceAccount}`)
  for (const x of r.roles) lines.push(`  role     ${mark(x.granted)} ${x.role}`)
  lines.push(
    `  key      ${r.key.state === 'valid' ? 'ok     ' : r.key.state === 'unknown' ? 'unknown' : 'MISSING'} ${r.key.file}${r.key.state !== 'valid' && r.key.state !== 'unknown' ? ` (${r.key.reason ?? r.key.state})` : ''}`,
  )
  for (const u of r.unknown) lines.push(`  could not check ${u}`)
  if (!r.ok) lines.push(`\nSomething is missing: run \`dezc gcp bootstrap --project ${r.project}\`.`)
  return lines
}

export function renderTeardownPlan(r: TeardownPlanResult): string[] {
  return [
    `Teardown plan for ${r.serviceAccount} in ${r.project} (dry run: nothing is changed)`,
    ...r.plan.map((p) => `  ${p.step.padEnd(8)} ${p.action === 'none' ? 'nothing ' : 'remove  '} ${p.detail}`),
    ...gcloudLines(r.plan, 'Nothing to remove.'),
  ]
}

export function renderTeardown(r: TeardownResult): string[] {
  return r.steps.map((s) => `${s.step.padEnd(8)} ${s.outcome}: ${s.detail}`)
}
