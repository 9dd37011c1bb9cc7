/** `env down`: stop and remove the stack's containers and network; data only when asked. */
import {UserAbortError} from '../core/errors.js'
import {runTasks, type Task} from '../core/tasks.js'
import type {Ui} from '../core/ui.js'
import {connectStack, type StackEngine} from './engine.js'
import type {Stack} from './settings.js'
import {LABEL} from './spec.js'

export interface EnvDownResult {
  profile: string
  stack: string | null
  containersRemoved: string[]
  networkRemoved: string | null
  volumesRemoved: string[]
  /** Data that stays (named volumes not removed, bind-mounted folders). */
  dataKept: string[]
}

/** Named volumes of the stack that exist on the engine (what `--volumes` would delete). */
export async function stackVolumes(engine: StackEngine, stack: Stack): Promise<string[]> {
  const names = [stack.postgres.mount, stack.pgadmin.mount].flatMap((m) => (m.type === 'volume' ? [m.name] : []))
  const found: string[] = []
  for (const name of names) {
    const v = await engine.client.inspectVolume(name)
    // Only volumes dezc created for this stack: never someone else's volume that shares a name.
    if (v && v.labels[LABEL.managed] === 'true' && v.labels[LABEL.stack] === stack.label) found.push(name)
  }
  // The volumes `env upgrade` restored into are the stack's data too.
  const pg = stack.postgres.mount
  if (pg.type === 'volume') {
    const upgraded = await engine.client.listVolumes({
      [LABEL.managed]: 'true',
      [LABEL.stack]: stack.label,
      [LABEL.upgradedFrom]: pg.name,
    })
    found.push(...upgraded.map((v) => v.name).filter((n) => !found.includes(n)))
  }
  return found
}

export async function envDown(stack: Stack, options: {volumes: boolean}, ui: Ui): Promise<EnvDownResult> {
  const engine = await connectStack(stack)
  const result: EnvDownResult = {
    profile: stack.profile,
    stack: stack.name ?? null,
    containersRemoved: [],
    networkRemoved: null,
    volumesRemoved: [],
    dataKept: [],
  }
  try {
    const volumes = await stackVolumes(engine, stack)
    // Ask before touching anything, so a "no" leaves the stack exactly as it was.
    const deleteVolumes = options.volumes && volumes.length > 0 ? await confirmDeleteVolumes(ui, volumes) : false
    const tasks: Task<object>[] = [
      {
        title: 'Stop and remove containers',
        task: async (_c, task) => {
          const containers = await engine.client.listContainers({[LABEL.stack]: stack.label, [LABEL.managed]: 'true'})
          await Promise.all(
            containers.map(async (c) => {
              await engine.client.stopContainer(c.name, 10)
              if (await engine.client.removeContainer(c.name, true)) result.containersRemoved.push(c.name)
            }),
          )
          task.title =
            containers.length > 0 ? `Removed ${containers.map((c) => c.name).join(', ')}` : 'No containers to remove'
        },
      },
      {
        title: `Remove network ${stack.network}`,
        task: async (_c, task) => {
          if (await engine.client.removeNetwork(stack.network)) result.networkRemoved = stack.network
          else task.title = `Network ${stack.network} already gone`
        },
      },
      {
        title: 'Delete data volumes',
        enabled: () => deleteVolumes,
        task: async () => {
          for (const v of volumes) if (await engine.client.removeVolume(v)) result.volumesRemoved.push(v)
        },
      },
    ]
    await runTasks(ui, tasks, {})
    if (!deleteVolumes) result.dataKept.push(...volumes)
    for (const m of [stack.postgres.mount, stack.pgadmin.mount]) if (m.type === 'bind') result.dataKept.push(m.path)
    return result
  } finally {
    engine.client.close()
  }
}

async function confirmDeleteVolumes(ui: Ui, names: string[]): Promise<true> {
  const ok = await ui.prompter.confirm({
    message: `Delete the data volumes ${names.join(', ')}? Every table in them is lost.`,
    flagHint: '--yes',
  })
  if (!ok) throw new UserAbortError('Kept everything: nothing was stopped or deleted.')
  return true
}
