/** `env logs`: demultiplexed logs, each line prefixed by its service like docker compose does. */
import {Writable} from 'node:stream'
import {DezcError, ExitCode} from '../core/errors.js'
import {connectStack, containerName, findServiceContainer} from './engine.js'
import {envUpCommand, type Stack} from './settings.js'
import type {ServiceName} from './spec.js'

export const SERVICES: ServiceName[] = ['postgres', 'pgadmin']

export function serviceContainer(stack: Stack, service: ServiceName): string {
  if (service === 'pgadmin' && !stack.pgadmin.enabled) {
    throw new DezcError({
      code: 'SERVICE_DISABLED',
      message: 'pgAdmin is disabled in this profile.',
      suggestion: 'Use the postgres service, or enable pgadmin in the profile.',
      exit: ExitCode.USAGE,
    })
  }
  return service === 'postgres' ? stack.postgres.container : stack.pgadmin.container
}

/** A complete log line of a service (for --json). */
export interface LogLine {
  service: ServiceName
  stream: 'stdout' | 'stderr'
  line: string
}

/** A Writable that hands each complete line to `onLine`. */
function lineSink(onLine: (line: string) => void): Writable {
  let partial = ''
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) onLine(line)
      cb()
    },
    final(cb) {
      if (partial) onLine(partial)
      cb()
    },
  })
}

/** A Writable that prefixes each complete line and writes it to `out` (docker compose's log form). */
export function linePrefixer(prefix: string, out: NodeJS.WritableStream): Writable {
  return lineSink((line) => out.write(`${prefix}${line}\n`))
}

/**
 * Stream the services' logs: prefixed like docker compose on stdout, or, with `onLine`, one
 * structured line at a time (the --json form).
 */
export async function envLogs(
  stack: Stack,
  options: {
    service?: ServiceName
    follow: boolean
    tail?: number
    timestamps?: boolean
    signal: AbortSignal
    onLine?: (l: LogLine) => void
  },
): Promise<void> {
  const services = options.service
    ? [options.service]
    : SERVICES.filter((s) => s === 'postgres' || stack.pgadmin.enabled)
  const engine = await connectStack(stack)
  try {
    const width = Math.max(...services.map((s) => s.length))
    await Promise.all(
      services.map(async (service) => {
        const named = serviceContainer(stack, service)
        const info = await findServiceContainer(engine.client, stack, service)
        if (!info) {
          throw new DezcError({
            code: 'SERVICE_MISSING',
            message: `${service} (${named}) is not running or does not exist.`,
            suggestion: `Start the stack with: ${envUpCommand(stack)}`,
            exit: ExitCode.UNHEALTHY,
          })
        }
        const container = containerName(info, named)
        const prefix = `${service.padEnd(width)} | `
        const onLine = options.onLine
        const out = onLine
          ? lineSink((line) => onLine({service, stream: 'stdout', line}))
          : linePrefixer(prefix, process.stdout)
        const err = onLine
          ? lineSink((line) => onLine({service, stream: 'stderr', line}))
          : linePrefixer(prefix, process.stdout)
        await engine.client.streamLogs(
          container,
          {follow: options.follow, tail: options.tail, timestamps: options.timestamps, signal: options.signal},
          out,
          err,
        )
        out.end()
        err.end()
      }),
    )
  } finally {
    engine.client.close()
  }
}
