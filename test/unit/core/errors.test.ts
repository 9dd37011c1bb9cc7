import {describe, expect, it} from 'vitest'
import {formatError, toDezcError} from '../../../src/core/base-command.js'
import {DezcError, ExitCode, NonInteractiveError} from '../../../src/core/errors.js'
import {createUi, isInteractiveSession, PolicyPrompter} from '../../../src/core/ui.js'

describe('error mapping', () => {
  it('keeps DezcErrors, maps oclif parse errors to usage, and unknown errors to UNEXPECTED', () => {
    const own = new DezcError({code: 'DOCKER_NOT_RUNNING', message: 'm', exit: ExitCode.PREREQUISITE})
    expect(toDezcError(own)).toBe(own)
    const parse = Object.assign(new Error('Nonexistent flag: --bogus\nSee more help with --help'), {oclif: {exit: 2}})
    expect(toDezcError(parse)).toMatchObject({
      code: 'USAGE',
      exit: 2,
      message: 'Nonexistent flag: --bogus',
      suggestions: ['See more help with --help'],
    })
    // oclif's own wording for a bad value and for exclusive flags, as one sentence that names the flag.
    const badValue = Object.assign(
      new Error('Parsing --pg-port \n\tExpected an integer but received: abc\nSee more help with --help'),
      {oclif: {exit: 2}},
    )
    expect(toDezcError(badValue)).toMatchObject({
      message: '--pg-port: Expected an integer but received: abc',
      suggestions: ['See more help with --help'],
    })
    const exclusive = Object.assign(
      new Error(
        'The following error occurred:\n  --host=x cannot also be provided when using --docker-context\nSee more help with --help',
      ),
      {oclif: {exit: 2}},
    )
    expect(toDezcError(exclusive)).toMatchObject({
      message: '--host=x cannot also be provided when using --docker-context',
      suggestions: ['See more help with --help'],
    })
    expect(toDezcError(new TypeError('boom'))).toMatchObject({code: 'UNEXPECTED', exit: 1})
    expect(toDezcError(Object.assign(new Error('x'), {name: 'ExitPromptError'}))).toMatchObject({exit: 130})
    expect(toDezcError(new Error('whatever'), true)).toMatchObject({code: 'INTERRUPTED', exit: 130})
  })

  it('formats message, code and suggestions; causes only with --verbose', () => {
    const e = new DezcError({
      code: 'PORT_IN_USE',
      message: 'Port 5432 is busy.',
      suggestion: ['use --pg-port'],
      cause: new Error('inner'),
    })
    expect(formatError(e, false)).toBe('Error: Port 5432 is busy. [PORT_IN_USE]\n  Try this: use --pg-port\n')
    expect(formatError(e, true)).toContain('Caused by: Error: inner')
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'PORT_IN_USE',
      message: 'Port 5432 is busy.',
      suggestions: ['use --pg-port'],
      exit: 1,
    })
  })
})

describe('prompting policy', () => {
  it('is non-interactive under CI, without a TTY, or with TERM=dumb', () => {
    expect(isInteractiveSession({env: {}, stdinIsTTY: true, stderrIsTTY: true})).toBe(true)
    expect(isInteractiveSession({env: {CI: 'true'}, stdinIsTTY: true, stderrIsTTY: true})).toBe(false)
    expect(isInteractiveSession({env: {CI: 'false'}, stdinIsTTY: true, stderrIsTTY: true})).toBe(true)
    expect(isInteractiveSession({env: {}, stdinIsTTY: false, stderrIsTTY: true})).toBe(false)
    expect(isInteractiveSession({env: {TERM: 'dumb'}, stdinIsTTY: true, stderrIsTTY: true})).toBe(false)
  })

  it('--yes answers confirmations; no TTY is a clear error naming the flag, never a hang', async () => {
    expect(await new PolicyPrompter(false, true).confirm({message: 'Delete?'})).toBe(true)
    const err = await new PolicyPrompter(false, false).confirm({message: 'Delete?', flagHint: '--yes'}).catch((e) => e)
    expect(err).toBeInstanceOf(NonInteractiveError)
    expect(err.exit).toBe(ExitCode.DECLINED)
    expect(err.suggestions[0]).toContain('--yes')
    const input = await new PolicyPrompter(false, false)
      .input({message: 'Project id', flagHint: '--project'})
      .catch((e) => e)
    expect(input.suggestions[0]).toBe('Pass --project.')
    expect(
      await new PolicyPrompter(false, true).input({message: 'Project id', flagHint: '--stack', default: 'p1'}),
    ).toBe('p1')
  })

  it('chooses the renderer: silent for --json, verbose for --verbose, simple without a TTY', () => {
    expect(createUi({json: true, verbose: false, yes: false, env: {}}).renderer).toBe('silent')
    expect(createUi({json: false, verbose: true, yes: false, env: {}}).renderer).toBe('verbose')
    expect(createUi({json: false, verbose: false, yes: false, env: {}, stderrIsTTY: false}).renderer).toBe('simple')
    expect(createUi({json: false, verbose: false, yes: false, env: {}, stderrIsTTY: true}).renderer).toBe('default')
  })
})
