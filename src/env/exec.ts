/** `env shell` / `env psql`: a process inside a service's container, attached to this terminal. */
import {DezcError, ExitCode} from '../core/errors.js'
import {connectStack} from './engine.js'
import {serviceContainer} from './logs.js'
import type {Stack} from './profiles.js'
import type {ServiceName} from './spec.js'

export async function envExec(stack: Stack, service: ServiceName, cmd: string[], env?: string[]): Promise<number> {
  const container = serviceContainer(stack, service)
  const engine = await connectStack(stack)
  try {
    const info = await engine.client.inspectContainer(container)
    if (!info?.State?.Running) {
      throw new DezcError({code: 'SERVICE_MISSING', message: `${service} (${container}) is not running.`, suggestion: `Start the stack with: dezc env up${stack.project ? ` --project ${stack.project}` : ''}`, exit: ExitCode.UNHEALTHY})
    }
    return await engine.client.execInteractive(container, cmd, {tty: Boolean(process.stdin.isTTY && process.stdout.isTTY), env})
  } finally {
    engine.client.close()
  }
}
