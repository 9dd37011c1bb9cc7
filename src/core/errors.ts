/**
 * Typed errors. Every failure a user can fix is a DezcError: a stable code (for scripts and
 * `--json`), a message that says what is wrong, and a suggestion that says what to do.
 * The base command is the one place that prints them (see base-command.ts).
 */
import type {ErrorCode} from './error-codes.js'

export type {ErrorCode} from './error-codes.js'

/** Documented exit codes (README "Exit codes"). Keep in sync with the README table. */
export const ExitCode = {
  OK: 0,
  /** Something failed at run time (a service, the network, a remote API). */
  FAILURE: 1,
  /** Bad input: unknown flag, malformed value, invalid config file. */
  USAGE: 2,
  /** A confirmation was declined, or needed but impossible (no TTY and no --yes). */
  DECLINED: 3,
  /** A prerequisite is missing: Docker engine, terraform, credentials, permissions. */
  PREREQUISITE: 4,
  /** A service is missing or unhealthy (env status / env up waiting). */
  UNHEALTHY: 5,
  /** Interrupted by Ctrl-C. */
  INTERRUPTED: 130,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface DezcErrorOptions {
  /** Stable machine-readable code, e.g. PORT_IN_USE: one of ERROR_CODES (README "Error codes"). */
  code: ErrorCode
  message: string
  /** What the user should do about it; one or more lines. */
  suggestion?: string | string[]
  exit?: ExitCodeValue
  cause?: unknown
  /** Extra data for --json output (never secrets). */
  details?: Record<string, unknown>
}

/** An error as --json prints it (inside the envelope, see json.ts). */
export interface DezcErrorJson {
  code: ErrorCode
  message: string
  suggestions: string[]
  exit: ExitCodeValue
  details?: Record<string, unknown>
}

export class DezcError extends Error {
  readonly code: ErrorCode
  readonly suggestions: string[]
  readonly exit: ExitCodeValue
  readonly details?: Record<string, unknown>

  constructor(options: DezcErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'DezcError'
    this.code = options.code
    this.exit = options.exit ?? ExitCode.FAILURE
    this.details = options.details
    const s = options.suggestion
    this.suggestions = s === undefined ? [] : Array.isArray(s) ? s : [s]
  }

  toJSON(): DezcErrorJson {
    return {
      code: this.code,
      message: this.message,
      suggestions: this.suggestions,
      exit: this.exit,
      ...(this.details ? {details: this.details} : {}),
    }
  }
}

export function usageError(code: ErrorCode, message: string, suggestion?: string | string[]): DezcError {
  return new DezcError({code, message, suggestion, exit: ExitCode.USAGE})
}

/** Raised when a prompt would be needed but the session cannot prompt. */
export class NonInteractiveError extends DezcError {
  constructor(what: string, suggestion: string | string[]) {
    super({
      code: 'NON_INTERACTIVE',
      message: `${what.replace(/[.!?:;,]+$/, '')}, but this session cannot prompt (no TTY, CI is set, or --json).`,
      suggestion,
      exit: ExitCode.DECLINED,
    })
  }
}

export class UserAbortError extends DezcError {
  constructor(message = 'Aborted by user.') {
    super({code: 'DECLINED', message, exit: ExitCode.DECLINED})
  }
}

export class InterruptedError extends DezcError {
  constructor(message = 'Interrupted.') {
    super({code: 'INTERRUPTED', message, exit: ExitCode.INTERRUPTED})
  }
}

/** Node system-error code (ECONNREFUSED, ENOENT, ...), looking through `cause` chains. */
export function systemErrorCode(err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as {code?: unknown}).code
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code
    e = (e as {cause?: unknown}).cause
  }
  return undefined
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

/**
 * oclif's parse-error text as one sentence saying what is wrong: "Parsing --pg-port\n\tExpected an
 * integer but received: abc" is "--pg-port: Expected an integer ...", and the heading "The following
 * error occurred:" above an exclusive/dependsOn failure is dropped for the failure itself.
 */
function oclifUsageText(text: string): {message: string; rest: string[]} {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:?$/i.test(l))
  const parsing = /^Parsing (--?\S+)$/.exec(lines[0] ?? '')
  if (parsing && lines[1]) return {message: `${parsing[1]}: ${lines[1]}`, rest: lines.slice(2)}
  return {message: lines[0] ?? text, rest: lines.slice(1)}
}

/** Map anything thrown to a DezcError. Unknown errors are bugs: say so and how to report them. */
export function toDezcError(err: unknown, interrupted = false): DezcError {
  if (err instanceof DezcError) return err
  const e = err as Error & {oclif?: {exit?: number}; code?: string; name?: string}
  if (interrupted || e?.name === 'AbortError' || e?.name === 'ExitPromptError') return new InterruptedError()
  // oclif parse errors (unknown flag, missing arg, invalid option) are CLIErrors with exit 2.
  if (e?.oclif?.exit !== undefined) {
    const {message, rest} = oclifUsageText(String(e.message))
    return new DezcError({
      code: 'USAGE',
      message,
      suggestion: rest.length > 0 ? rest : 'See --help for the accepted flags and arguments.',
      exit: (e.oclif.exit as ExitCodeValue) ?? ExitCode.USAGE,
      cause: err,
    })
  }
  return new DezcError({
    code: 'UNEXPECTED',
    message: `Unexpected error: ${e?.message ?? String(err)}`,
    suggestion: 'Re-run with --verbose for details. If it persists, please report it with that output.',
    exit: ExitCode.FAILURE,
    cause: err,
  })
}
