/**
 * What services get instead of oclif: a way to report, to prompt (under the prompting policy),
 * and to render task lists. Human output goes to stderr; stdout is reserved for results.
 */
import {InterruptedError, NonInteractiveError} from './errors.js'
import {redactSecrets} from './urls.js'

export type RendererMode = 'default' | 'simple' | 'verbose' | 'silent'

export interface Reporter {
  /** A progress or status line for people (stderr; hidden under --json unless --verbose). */
  info(message: string): void
  /** Always shown on stderr, also under --json. */
  warn(message: string): void
  /** Only with --verbose. */
  debug(message: string): void
}

export interface ConfirmOptions {
  message: string
  /** What to answer when --yes is given. Defaults to true. */
  yesAnswer?: boolean
  /** Default shown in the interactive prompt. */
  default?: boolean
  /** Flag the user can pass to avoid the prompt (for the non-interactive error message). */
  flagHint?: string
}

export interface InputOptions {
  message: string
  default?: string
  /** Flag that supplies this value (named in the non-interactive error). */
  flagHint: string
  validate?: (value: string) => string | true
}

export interface SelectOptions<T> {
  message: string
  choices: Array<{name: string; value: T; description?: string}>
  default?: T
  flagHint: string
}

export interface Prompter {
  readonly canPrompt: boolean
  readonly assumeYes: boolean
  confirm(options: ConfirmOptions): Promise<boolean>
  input(options: InputOptions): Promise<string>
  select<T>(options: SelectOptions<T>): Promise<T>
}

export interface Ui {
  reporter: Reporter
  /** Every warning reported so far (redacted): the --json envelope carries them. */
  warnings: string[]
  prompter: Prompter
  renderer: RendererMode
  json: boolean
  verbose: boolean
}

export interface UiOptions {
  json: boolean
  verbose: boolean
  yes: boolean
  env?: NodeJS.ProcessEnv
  stdinIsTTY?: boolean
  stderrIsTTY?: boolean
  stderr?: NodeJS.WritableStream
}

/** Interactive means a person can answer: stdin and stderr are terminals, CI is not set, TERM is not dumb. */
export function isInteractiveSession(
  opts: {env?: NodeJS.ProcessEnv; stdinIsTTY?: boolean; stderrIsTTY?: boolean} = {},
): boolean {
  const env = opts.env ?? process.env
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false'
  if (ci) return false
  if (env.TERM === 'dumb') return false
  return Boolean(opts.stdinIsTTY ?? process.stdin.isTTY) && Boolean(opts.stderrIsTTY ?? process.stderr.isTTY)
}

export function createUi(options: UiOptions): Ui {
  const stderr = options.stderr ?? process.stderr
  const interactive = isInteractiveSession(options) && !options.json
  // Credentials in URLs (a --base-url with user:password@) are masked in everything dezc reports.
  const write = (text: string) => {
    const line = redactSecrets(text)
    stderr.write(line.endsWith('\n') ? line : line + '\n')
  }
  const warnings: string[] = []
  const reporter: Reporter = {
    info: (m) => {
      if (!options.json || options.verbose) write(m)
    },
    warn: (m) => {
      warnings.push(redactSecrets(m))
      write(`Warning: ${m}`)
    },
    debug: (m) => {
      if (options.verbose) write(`[debug] ${m}`)
    },
  }
  const prompter = new PolicyPrompter(interactive, options.yes)
  const stderrTTY = options.stderrIsTTY ?? Boolean(process.stderr.isTTY)
  let renderer: RendererMode
  if (options.json) renderer = options.verbose ? 'verbose' : 'silent'
  else if (options.verbose) renderer = 'verbose'
  else renderer = stderrTTY && !isCI(options.env) ? 'default' : 'simple'
  return {reporter, warnings, prompter, renderer, json: options.json, verbose: options.verbose}
}

function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CI) && env.CI !== '0' && env.CI?.toLowerCase() !== 'false'
}

/** Prompting policy: --yes answers confirmations; no TTY means a clear error, never a hang. */
export class PolicyPrompter implements Prompter {
  constructor(
    readonly canPrompt: boolean,
    readonly assumeYes: boolean,
  ) {}

  async confirm(o: ConfirmOptions): Promise<boolean> {
    if (this.assumeYes) return o.yesAnswer ?? true
    if (!this.canPrompt)
      throw new NonInteractiveError(
        `Confirmation needed: ${o.message}`,
        `Re-run with ${o.flagHint ?? '--yes'} to confirm.`,
      )
    const {confirm} = await import('@inquirer/prompts')
    return withAbort(() => confirm({message: o.message, default: o.default ?? false}, {output: process.stderr}))
  }

  async input(o: InputOptions): Promise<string> {
    if (this.assumeYes && o.default !== undefined) return o.default
    if (!this.canPrompt) throw new NonInteractiveError(`A value is needed: ${o.message}`, `Pass ${o.flagHint}.`)
    const {input} = await import('@inquirer/prompts')
    return withAbort(() =>
      input({message: o.message, default: o.default, validate: o.validate}, {output: process.stderr}),
    )
  }

  async select<T>(o: SelectOptions<T>): Promise<T> {
    if (this.assumeYes && o.default !== undefined) return o.default
    if (!this.canPrompt) throw new NonInteractiveError(`A choice is needed: ${o.message}`, `Pass ${o.flagHint}.`)
    const {select} = await import('@inquirer/prompts')
    return withAbort(() =>
      select<T>({message: o.message, choices: o.choices, default: o.default}, {output: process.stderr}),
    )
  }
}

/** Ctrl-C inside an Inquirer prompt rejects with ExitPromptError; map it to our abort. */
async function withAbort<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof Error && error.name === 'ExitPromptError')
      throw new InterruptedError('Interrupted at the prompt (Ctrl-C).')
    throw error
  }
}

/** A silent Ui for unit tests and for services called from other services. */
export function silentUi(overrides: Partial<Ui> = {}): Ui {
  const reporter: Reporter = {info() {}, warn() {}, debug() {}}
  return {
    reporter,
    warnings: [],
    prompter: new PolicyPrompter(false, false),
    renderer: 'silent',
    json: true,
    verbose: false,
    ...overrides,
  }
}
