/**
 * `env up --dry-run` / `env down --dry-run`: what would be created, changed or deleted, and the
 * docker commands that would do the same by hand. Derived from the same container specs `up`
 * uses, so the two never drift. Reads the engine's state when it can; changes nothing.
 */
import type {Ui} from '../core/ui.js'
import {connectStack, type StackEngine} from './engine.js'
import type {Stack} from './profiles.js'
import {baseLabels, containerSpecs, LABEL, type ContainerSpec} from './spec.js'
import {shellQuote} from '../core/shell.js'

export interface PlannedStep {
  action: 'create' | 'recreate' | 'start' | 'keep' | 'remove' | 'delete'
  kind: 'network' | 'volume' | 'container' | 'bind-folder'
  name: string
}

export interface DryRunResult {
  dryRun: true
  profile: string
  stack: string | null
  engine: string | null
  steps: PlannedStep[]
  commands: string[]
}


/** No password is ever printed, whatever its source (built-in, config file, generated): the command refers to a variable. */
function envArg(entry: string): string {
  const [key, ...rest] = entry.split('=')
  const value = rest.join('=')
  if (/PASSWORD/.test(key)) return `-e ${key}="$${key}"`
  return `-e ${shellQuote(`${key}=${value}`)}`
}

const seconds = (ns: number) => `${ns / 1e9}s`

export function dockerRunCommands(stack: Stack, spec: ContainerSpec): string[] {
  const b = spec.body
  const hc = b.Healthcheck
  const args = [
    'docker', 'create', '--name', spec.name,
    '--network', stack.network, '--network-alias', b.NetworkingConfig.EndpointsConfig[stack.network].Aliases[0],
    ...Object.entries(b.Labels as Record<string, string>).flatMap(([k, v]) => ['--label', shellQuote(`${k}=${v}`)]),
    ...(b.Env as string[]).map((e) => envArg(e)),
    ...Object.entries(b.HostConfig.PortBindings as Record<string, Array<{HostIp: string; HostPort: string}>>).flatMap(([cport, binds]) => ['-p', `${binds[0].HostIp}:${binds[0].HostPort}:${cport.replace('/tcp', '')}`]),
    ...(b.HostConfig.Mounts as Array<{Type: string; Source: string; Target: string}>).flatMap((m) => ['--mount', `type=${m.Type},source=${m.Source},target=${m.Target}`]),
    '--restart', stack.restart,
    '--health-cmd', shellQuote(hc.Test[1]), '--health-interval', seconds(hc.Interval), '--health-timeout', seconds(hc.Timeout), '--health-retries', String(hc.Retries), '--health-start-period', seconds(hc.StartPeriod),
    ...(b.HostConfig.LogConfig ? ['--log-driver', 'json-file'] : []),
    spec.image,
  ]
  const cmds = [args.join(' ')]
  for (const f of spec.files) cmds.push(`docker cp ${shellQuote(f.path.split('/').pop()!)} ${spec.name}:${f.path}   # file content: dezc env compose shows it`)
  cmds.push(`docker start ${spec.name}`)
  return cmds
}

export async function planUp(stack: Stack, ui: Ui): Promise<DryRunResult> {
  const engine = await tryConnect(stack, ui)
  try {
    const specs = containerSpecs(stack, {apiVersion: engine?.info.apiVersion ?? '1.41'})
    const steps: PlannedStep[] = []
    const commands: string[] = []
    const labels = Object.entries(baseLabels(stack)).map(([k, v]) => `--label ${k}=${v}`).join(' ')
    if (!engine || !(await engine.client.networkExists(stack.network))) {
      steps.push({action: 'create', kind: 'network', name: stack.network})
      commands.push(`docker network create ${labels} ${stack.network}`)
    } else steps.push({action: 'keep', kind: 'network', name: stack.network})
    for (const m of [stack.postgres.mount, ...(stack.pgadmin.enabled ? [stack.pgadmin.mount] : [])]) {
      if (m.type === 'bind') {
        steps.push({action: 'keep', kind: 'bind-folder', name: m.path})
        commands.push(`mkdir -p ${m.path}   # on the engine host, if missing`)
      } else if (!engine || !(await engine.client.inspectVolume(m.name))) {
        steps.push({action: 'create', kind: 'volume', name: m.name})
        commands.push(`docker volume create ${labels} ${m.name}`)
      } else steps.push({action: 'keep', kind: 'volume', name: m.name})
    }
    // The plan `env up` itself follows (containers found by dezc's labels), computed without changing anything.
    const {planContainers} = await import('./up.js')
    const plan: import('./up.js').ContainerPlan = engine ? await planContainers(engine.client, stack, specs) : {services: new Map(specs.map((spec) => [spec.service, {spec, action: 'created'}])), orphans: []}
    for (const {spec, existing, action} of plan.services.values()) {
      if (action === 'unchanged') {
        steps.push({action: 'keep', kind: 'container', name: spec.name})
        continue
      }
      if (action === 'started') {
        steps.push({action: 'start', kind: 'container', name: spec.name})
        commands.push(`docker start ${spec.name}`)
        continue
      }
      if (action === 'recreated' && existing) {
        steps.push({action: 'recreate', kind: 'container', name: existing.name === spec.name ? spec.name : `${existing.name} -> ${spec.name}`})
        commands.push(`docker rm -f ${existing.name}   # data volumes are kept`)
      } else steps.push({action: 'create', kind: 'container', name: spec.name})
      if (!engine || !(await engine.client.imageExists(spec.image))) commands.push(`docker pull ${spec.image}`)
      commands.push(...dockerRunCommands(stack, spec))
    }
    for (const orphan of plan.orphans) {
      steps.push({action: 'remove', kind: 'container', name: orphan.name})
      commands.push(`docker rm -f ${orphan.name}`)
    }
    return {dryRun: true, profile: stack.profile, stack: stack.name ?? null, engine: engine?.endpoint.url ?? null, steps, commands}
  } finally {
    engine?.client.close()
  }
}

export async function planDown(stack: Stack, volumes: boolean, ui: Ui): Promise<DryRunResult> {
  const engine = await tryConnect(stack, ui)
  try {
    const steps: PlannedStep[] = []
    const commands: string[] = []
    const containers = engine ? await engine.client.listContainers({[LABEL.stack]: stack.label, [LABEL.managed]: 'true'}) : []
    for (const c of containers) {
      steps.push({action: 'remove', kind: 'container', name: c.name})
      commands.push(`docker stop -t 10 ${c.name} && docker rm ${c.name}`)
    }
    if (!engine || (await engine.client.networkExists(stack.network))) {
      steps.push({action: 'remove', kind: 'network', name: stack.network})
      commands.push(`docker network rm ${stack.network}`)
    }
    for (const m of [stack.postgres.mount, stack.pgadmin.mount]) {
      if (m.type === 'bind') steps.push({action: 'keep', kind: 'bind-folder', name: m.path})
      else if (volumes) {
        steps.push({action: 'delete', kind: 'volume', name: m.name})
        commands.push(`docker volume rm ${m.name}   # deletes the data`)
      } else steps.push({action: 'keep', kind: 'volume', name: m.name})
    }
    return {dryRun: true, profile: stack.profile, stack: stack.name ?? null, engine: engine?.endpoint.url ?? null, steps, commands}
  } finally {
    engine?.client.close()
  }
}

async function tryConnect(stack: Stack, ui: Ui): Promise<StackEngine | undefined> {
  try {
    return await connectStack(stack)
  } catch (error) {
    ui.reporter.warn(`Cannot read the engine's current state (${(error as Error).message.split('\n')[0]}); showing the plan for an empty engine.`)
    return undefined
  }
}

export function renderDryRun(r: DryRunResult): string {
  const lines = [`Dry run (profile ${r.profile}${r.stack ? `, stack ${r.stack}` : ''}${r.engine ? `, engine ${r.engine}` : ''}): nothing was changed.`, '', 'Plan:']
  for (const s of r.steps) lines.push(`  ${s.action.padEnd(8)} ${s.kind.padEnd(11)} ${s.name}`)
  lines.push('', r.commands.length > 0 ? 'The same by hand:' : 'Nothing to do by hand.')
  for (const c of r.commands) lines.push(`  ${c}`)
  return lines.join('\n')
}
