/**
 * The one base command. It owns the shared flags (--json, --verbose, --yes, --config), the
 * prompting policy, Ctrl-C handling, and the mapping of every error to a message, a suggestion
 * and a documented exit code. Commands stay thin: parse flags, call a service, render.
 */
import {Command, Flags, type Interfaces} from '@oclif/core'
import {DezcError, ExitCode, InterruptedError, toDezcError} from './errors.js'

// Kept importable from here for commands; the mapping itself is plain logic in errors.ts.
export {toDezcError} from './errors.js'
import {createUi, type Ui} from './ui.js'
import {failureEnvelope, successEnvelope, type JsonSuccess} from './json.js'
import {closest} from './text.js'
import {redactSecrets} from './urls.js'
import type {LoadedConfig} from '../config/load.js'

export type DezcFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof DezcCommand)['baseFlags'] & T['flags']
>
export type DezcArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

export abstract class DezcCommand<T extends typeof Command> extends Command {
  static enableJsonFlag = true

  static baseFlags = {
    verbose: Flags.boolean({
      description: 'Show detailed progress and debugging output on stderr.',
      helpGroup: 'GLOBAL',
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Answer yes to confirmations (needed for destructive steps without a TTY).',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({
      description: 'Config file to use instead of ./dezc.yaml and the user config.',
      env: 'DEZC_CONFIG',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: DezcFlags<T>
  protected args!: DezcArgs<T>
  protected ui!: Ui
  /** Aborted on the first Ctrl-C; services stop at the next safe point. A second Ctrl-C exits at once. */
  protected readonly abortController = new AbortController()
  private loadedConfig?: Promise<LoadedConfig>
  private sigintHandler?: () => void

  public async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof DezcCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as DezcFlags<T>
    this.args = args as DezcArgs<T>
    this.ui = createUi({json: this.jsonEnabled(), verbose: Boolean(this.flags.verbose), yes: Boolean(this.flags.yes)})
    this.sigintHandler = () => {
      if (this.abortController.signal.aborted) {
        process.stderr.write('\nInterrupted again: exiting now.\n')
        process.exit(ExitCode.INTERRUPTED)
      }
      process.stderr.write('\nInterrupted: stopping at the next safe point (Ctrl-C again to exit now)...\n')
      this.abortController.abort(new InterruptedError())
    }
    process.on('SIGINT', this.sigintHandler)
  }

  protected get signal(): AbortSignal {
    return this.abortController.signal
  }

  /** --dry-run: the plan, rendered; else the run, rendered. Either way the result is what --json prints. */
  protected async planOrRun<P, R>(
    dryRun: boolean,
    o: {plan: () => Promise<P>; renderPlan: (p: P) => string[]; run: () => Promise<R>; render: (r: R) => string[]},
  ): Promise<P | R> {
    if (dryRun) {
      const plan = await o.plan()
      this.logLines(o.renderPlan(plan))
      return plan
    }
    const result = await o.run()
    this.logLines(o.render(result))
    return result
  }

  protected logLines(lines: string[]): void {
    for (const line of lines) this.log(line)
  }

  /** The layered config, loaded once per command run. */
  protected loadDezcConfig(): Promise<LoadedConfig> {
    this.loadedConfig ??= import('../config/load.js').then(({loadConfig}) =>
      loadConfig({explicitPath: this.flags.config, onWarning: (m) => this.ui.reporter.warn(m)}),
    )
    return this.loadedConfig
  }

  public async finally(err: Error | undefined): Promise<void> {
    if (this.sigintHandler) process.off('SIGINT', this.sigintHandler)
    return super.finally(err)
  }

  /** stdout text: credentials in URLs masked (env credentials prints passwords on purpose, not inside URLs it did not make). */
  public log(message = '', ...args: unknown[]): void {
    super.log(typeof message === 'string' ? redactSecrets(message) : message, ...args)
  }

  /** The --json success envelope (json.ts); status is the exit code the command set. */
  protected toSuccessJson(result: unknown): JsonSuccess {
    return successEnvelope(result, this.ui?.warnings ?? [], typeof process.exitCode === 'number' ? process.exitCode : 0)
  }

  /** --json output: credentials in URLs masked in every string. */
  public logJson(json: unknown): void {
    super.logJson(JSON.parse(redactSecrets(JSON.stringify(json ?? null))))
  }

  public async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    const error = toDezcError(err, this.abortController.signal.aborted)
    const unknownFlags = (err as {flags?: unknown}).flags
    if (Array.isArray(unknownFlags) && err.message.startsWith('Nonexistent flag'))
      error.suggestions.unshift(...this.flagHints(unknownFlags as string[]))
    // oclif reads process.exitCode (not err.oclif.exit) in JSON mode (oclif/core#1423): set it ourselves.
    process.exitCode = error.exit
    if (this.jsonEnabled()) {
      this.logJson(failureEnvelope(error.toJSON(), this.ui?.warnings ?? []))
      return
    }
    process.stderr.write(formatError(error, Boolean(this.flags?.verbose), err))
    const rethrown = new Error(error.message) as Error & {skipOclifErrorHandling: boolean; oclif: {exit: number}}
    rethrown.skipOclifErrorHandling = true
    rethrown.oclif = {exit: error.exit}
    throw rethrown
  }

  /** For each unknown flag, the flag the user most likely meant (`--project` on a stack command is `--stack`). */
  private flagHints(unknown: string[]): string[] {
    const known = Object.keys({...(this.ctor as typeof DezcCommand).baseFlags, ...this.ctor.flags, json: true})
    return unknown.flatMap((typed) => {
      const name = typed.replace(/^-+/, '').split('=')[0]
      if (name === 'project' && known.includes('stack'))
        return [
          '--project is the Google Cloud project id; this command names the stack with --stack NAME (it was --project before).',
        ]
      const guess = closest(name, known)
      return guess ? [`Did you mean --${guess}?`] : []
    })
  }
}

export function formatError(error: DezcError, verbose: boolean, original?: unknown): string {
  return redactSecrets(formatErrorLines(error, verbose, original))
}

function formatErrorLines(error: DezcError, verbose: boolean, original?: unknown): string {
  const lines = [`Error: ${error.message} [${error.code}]`]
  for (const s of error.suggestions) lines.push(`  Try this: ${s}`)
  if (verbose) {
    let cause: unknown = error.code === 'UNEXPECTED' ? original : error.cause
    for (let depth = 0; cause && depth < 5; depth++) {
      const c = cause as Error
      lines.push(`  Caused by: ${c.stack ?? c.message ?? String(c)}`)
      cause = c.cause
    }
  }
  return lines.join('\n') + '\n'
}
