/** `env shell` / `env psql`: a process inside a service's container, attached to this terminal. */
import {DezcError, ExitCode} from '../core/errors.js'
import {connectStack, containerName, findServiceContainer, type StackEngine} from './engine.js'
import {serviceContainer} from './logs.js'
import {envUpCommand, type Stack} from './settings.js'
import type {ServiceName} from './spec.js'

async function withRunningService<T>(
  stack: Stack,
  service: ServiceName,
  fn: (client: StackEngine['client'], container: string) => Promise<T>,
): Promise<T> {
  const named = serviceContainer(stack, service)
  const engine = await connectStack(stack)
  try {
    const info = await findServiceContainer(engine.client, stack, service)
    const container = info ? containerName(info, named) : named
    if (!info?.State?.Running) {
      throw new DezcError({
        code: 'SERVICE_MISSING',
        message: `${service} (${container}) is not running.`,
        suggestion: `Start the stack with: ${envUpCommand(stack)}`,
        exit: ExitCode.UNHEALTHY,
      })
    }
    return await fn(engine.client, container)
  } finally {
    engine.client.close()
  }
}

export function envExec(stack: Stack, service: ServiceName, cmd: string[], env?: string[]): Promise<number> {
  return withRunningService(stack, service, (client, container) =>
    client.execInteractive(container, cmd, {tty: Boolean(process.stdin.isTTY && process.stdout.isTTY), env}),
  )
}

/** The same, without a terminal: output captured (for --json). */
export function envExecCapture(
  stack: Stack,
  service: ServiceName,
  cmd: string[],
  env?: string[],
): Promise<{exitCode: number; stdout: string; stderr: string}> {
  return withRunningService(stack, service, (client, container) => client.execCapture(container, cmd, env))
}
