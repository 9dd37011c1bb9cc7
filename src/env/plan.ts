/**
 * `env up --dry-run` / `env down --dry-run`: what would be created, changed or deleted, and the
 * docker commands that would do the same by hand. Derived from the same container specs `up`
 * uses, so the two never drift. Reads the engine's state when it can; changes nothing.
 */
import {DezcError, ExitCode} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import type {ContainerSummary, DockerClient} from '../docker/client.js'
import {withActiveDataVolume} from './data-volume.js'
import {connectStack, type StackEngine} from './engine.js'
import type {Stack} from './settings.js'
import {baseLabels, containerSpecs, LABEL, type ContainerSpec, type ServiceName} from './spec.js'
import {shellQuote} from '../core/shell.js'

export type ServiceAction = 'unchanged' | 'started' | 'created' | 'recreated'

export interface ServicePlan {
  spec: ContainerSpec
  /** The container `env up` made earlier for this service (found by its labels, whatever its name). */
  existing?: ContainerSummary
  action: ServiceAction
}

/** What `env up` would change: computed without changing anything (dry-run shows the same plan). */
export interface ContainerPlan {
  services: Map<ServiceName, ServicePlan>
  /** Containers of this stack whose service is switched off (e.g. --no-pgadmin): removed, like compose's --remove-orphans. */
  orphans: ContainerSummary[]
}

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
    'docker',
    'create',
    '--name',
    spec.name,
    '--network',
    stack.network,
    '--network-alias',
    b.NetworkingConfig.EndpointsConfig[stack.network].Aliases[0],
    ...Object.entries(b.Labels as Record<string, string>).flatMap(([k, v]) => ['--label', shellQuote(`${k}=${v}`)]),
    ...(b.User ? ['--user', b.User] : []),
    ...(b.Env as string[]).map((e) => envArg(e)),
    ...Object.entries(b.HostConfig.PortBindings as Record<string, Array<{HostIp: string; HostPort: string}>>).flatMap(
      ([cport, binds]) => ['-p', `${binds[0].HostIp}:${binds[0].HostPort}:${cport.replace('/tcp', '')}`],
    ),
    ...(b.HostConfig.Mounts as Array<{Type: string; Source: string; Target: string}>).flatMap((m) => [
      '--mount',
      `type=${m.Type},source=${m.Source},target=${m.Target}`,
    ]),
    '--restart',
    stack.restart,
    '--health-cmd',
    shellQuote(hc.Test[1]),
    '--health-interval',
    seconds(hc.Interval),
    '--health-timeout',
    seconds(hc.Timeout),
    '--health-retries',
    String(hc.Retries),
    '--health-start-period',
    seconds(hc.StartPeriod),
    ...(b.HostConfig.LogConfig ? ['--log-driver', 'json-file'] : []),
    spec.image,
  ]
  const cmds = [args.join(' ')]
  for (const f of spec.files)
    cmds.push(
      `docker cp ${shellQuote(f.path.split('/').pop()!)} ${spec.name}:${f.path}   # file content: dezc env compose shows it`,
    )
  cmds.push(`docker start ${spec.name}`)
  return cmds
}

export async function planUp(stack: Stack, ui: Ui): Promise<DryRunResult> {
  const engine = await tryConnect(stack, ui)
  try {
    if (engine) stack = await withActiveDataVolume(engine.client, stack)
    const specs = containerSpecs(stack, {apiVersion: engine?.info.apiVersion ?? '1.41'})
    const steps: PlannedStep[] = []
    const commands: string[] = []
    const labels = Object.entries(baseLabels(stack))
      .map(([k, v]) => `--label ${k}=${v}`)
      .join(' ')
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
    const plan: ContainerPlan = engine
      ? await planContainers(engine.client, stack, specs)
      : {services: new Map(specs.map((spec) => [spec.service, {spec, action: 'created'}])), orphans: []}
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
        steps.push({
          action: 'recreate',
          kind: 'container',
          name: existing.name === spec.name ? spec.name : `${existing.name} -> ${spec.name}`,
        })
        commands.push(`docker rm -f ${existing.name}   # data volumes are kept`)
      } else steps.push({action: 'create', kind: 'container', name: spec.name})
      if (!engine || !(await engine.client.imageExists(spec.image))) commands.push(`docker pull ${spec.image}`)
      commands.push(...dockerRunCommands(stack, spec))
    }
    for (const orphan of plan.orphans) {
      steps.push({action: 'remove', kind: 'container', name: orphan.name})
      commands.push(`docker rm -f ${orphan.name}`)
    }
    return dryRunResult(stack, engine, steps, commands)
  } finally {
    engine?.client.close()
  }
}

function dryRunResult(
  stack: Stack,
  engine: StackEngine | undefined,
  steps: PlannedStep[],
  commands: string[],
): DryRunResult {
  return {
    dryRun: true,
    profile: stack.profile,
    stack: stack.name ?? null,
    engine: engine?.endpoint.url ?? null,
    steps,
    commands,
  }
}

export async function planDown(stack: Stack, volumes: boolean, ui: Ui): Promise<DryRunResult> {
  const engine = await tryConnect(stack, ui)
  try {
    const steps: PlannedStep[] = []
    const commands: string[] = []
    const containers = engine
      ? await engine.client.listContainers({[LABEL.stack]: stack.label, [LABEL.managed]: 'true'})
      : []
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
    return dryRunResult(stack, engine, steps, commands)
  } finally {
    engine?.client.close()
  }
}

async function tryConnect(stack: Stack, ui: Ui): Promise<StackEngine | undefined> {
  try {
    return await connectStack(stack)
  } catch (error) {
    ui.reporter.warn(
      `Cannot read the engine's current state (${(error as Error).message.split('\n')[0]}); showing the plan for an empty engine.`,
    )
    return undefined
  }
}

/** What the engine holds for a stack, read-only: its containers (by label) and any foreign container with one of our names. */
export interface ObservedContainers {
  ours: ContainerSummary[]
  /** Containers named like one of our specs but not this stack's service container (e.g. made by hand from the course notes). */
  foreign: Map<string, {status?: string; image?: string; labels: Record<string, string>}>
}

export async function observeContainers(
  client: DockerClient,
  stack: Stack,
  specs: ContainerSpec[],
): Promise<ObservedContainers> {
  const ours = await client.listContainers({[LABEL.stack]: stack.label, [LABEL.managed]: 'true'})
  const foreign: ObservedContainers['foreign'] = new Map()
  for (const spec of specs) {
    const existing = ours.find((c) => c.labels[LABEL.service] === spec.service)
    if (existing && existing.name === spec.name) continue
    const info = await client.inspectContainer(spec.name)
    if (info)
      foreign.set(spec.name, {status: info.State?.Status, image: info.Config?.Image, labels: info.Config?.Labels ?? {}})
  }
  return {ours, foreign}
}

/**
 * Decide per service: leave alone, start, create or recreate. Pure: `env up --dry-run` shows this
 * same plan. A service's container is found by dezc's labels, so a renamed container
 * (postgres.container changed) is recreated under its new name instead of left holding the port.
 */
export function decideContainers(specs: ContainerSpec[], observed: ObservedContainers): ContainerPlan {
  const {ours} = observed
  // Only env's own services: a Spark cluster on the stack's network (`dezc spark cluster`) is not an orphan.
  const envServices = new Set<string>(['postgres', 'pgadmin'])
  const orphans = ours.filter(
    (c) => envServices.has(c.labels[LABEL.service]) && !specs.some((s) => s.service === c.labels[LABEL.service]),
  )
  const services: ContainerPlan['services'] = new Map()
  for (const spec of specs) {
    const existing = ours.find((c) => c.labels[LABEL.service] === spec.service)
    if (!existing || existing.name !== spec.name) {
      const foreign = observed.foreign.get(spec.name)
      if (foreign) {
        const owner =
          foreign.labels[LABEL.managed] === 'true' ? `dezc stack "${foreign.labels[LABEL.stack]}"` : 'not dezc'
        throw new DezcError({
          code: 'NAME_IN_USE',
          message: `A container named "${spec.name}" already exists (${foreign.status ?? 'unknown state'}, image ${foreign.image}), created by ${owner}.`,
          suggestion: [
            `Remove it if it is an old manual setup: docker rm -f ${spec.name} (its volumes are kept),`,
            `or run this stack under another name with --stack NAME.`,
          ],
          exit: ExitCode.FAILURE,
        })
      }
      services.set(spec.service, existing ? {spec, existing, action: 'recreated'} : {spec, action: 'created'})
      continue
    }
    const sameConfig = existing.labels[LABEL.configHash] === spec.hash
    if (sameConfig && existing.state === 'running') services.set(spec.service, {spec, existing, action: 'unchanged'})
    else if (sameConfig && (existing.state === 'exited' || existing.state === 'created' || existing.state === 'paused'))
      services.set(spec.service, {spec, existing, action: 'started'})
    else services.set(spec.service, {spec, existing, action: 'recreated'})
  }
  return {services, orphans}
}

/** Observe, then decide: what `env up` and its dry run both start from. */
export async function planContainers(
  client: DockerClient,
  stack: Stack,
  specs: ContainerSpec[],
): Promise<ContainerPlan> {
  return decideContainers(specs, await observeContainers(client, stack, specs))
}
