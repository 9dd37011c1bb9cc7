/**
 * One place that configures listr2 task lists: every renderer writes to stderr so stdout stays
 * clean for results, and the renderer follows the Ui (silent under --json, verbose with --verbose,
 * plain lines without a TTY). listr2 is imported lazily: `dezc --help` never loads it.
 */
import type {ListrTask} from 'listr2'
import type {Ui} from './ui.js'
import {redactSecrets} from './urls.js'

export type Task<Ctx> = ListrTask<Ctx, any, any>

export interface RunTasksOptions {
  concurrent?: boolean | number
  /** Stop at the first failing task (default true). */
  exitOnError?: boolean
}

export async function runTasks<Ctx extends object>(
  ui: Ui,
  tasks: Task<Ctx>[],
  ctx: Ctx,
  options: RunTasksOptions = {},
): Promise<Ctx> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const stderr = redactingStream(process.stderr as NodeJS.WriteStream)
  const logger = new ListrLogger({processOutput: new ProcessOutput(stderr, stderr)})
  const list = new Listr<Ctx, any, any>(tasks, {
    ctx,
    concurrent: options.concurrent ?? false,
    exitOnError: options.exitOnError ?? true,
    renderer: ui.renderer,
    fallbackRenderer: ui.renderer === 'silent' ? 'silent' : 'simple',
    rendererOptions: {logger, collapseSubtasks: false, showErrorMessage: false},
    fallbackRendererOptions: {logger},
    // Signals are ours to handle (graceful cleanup), not listr's.
    registerSignalListeners: false,
  })
  return list.run()
}

/** stderr as listr sees it: the same stream (size, TTY), with credentials masked in every write (task titles hold URLs). */
function redactingStream(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === 'write')
        return (chunk: unknown, ...rest: unknown[]) =>
          write(typeof chunk === 'string' ? redactSecrets(chunk) : chunk, ...rest)
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
