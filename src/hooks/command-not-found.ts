/**
 * An unknown command (`dezc ingets yellow`) or a bare global flag (`dezc --json`): a usage error
 * with exit 2 and the closest real command, as JSON under --json, instead of oclif's exit 127.
 */
import type {Hook} from '@oclif/core'
import {DezcError, ExitCode} from '../core/errors.js'
import {failureEnvelope, successEnvelope} from '../core/json.js'
import {editDistance as distance} from '../core/text.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const json = process.argv.slice(2).includes('--json')
  const words = [...opts.id.split(':'), ...(opts.argv ?? [])].filter((w) => w !== '--json')
  const bin = opts.config.bin
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  if (words.length === 0 && json) {
    // `dezc --json`: what `dezc --help` lists, for scripts.
    const commands = opts.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        command: `${bin} ${c.id.replaceAll(':', ' ')}`,
        summary: c.summary ?? c.description?.split('\n')[0] ?? '',
      }))
    process.stdout.write(
      JSON.stringify(
        successEnvelope({commands: commands.sort((a, b) => a.command.localeCompare(b.command))}, []),
        null,
        2,
      ) + '\n',
    )
    return this.exit(0)
  }
  // The longest prefix of the words that is closest to a command id: "env stauts" -> "env status".
  let best: {id: string; used: number; d: number} | undefined
  for (let used = 1; used <= Math.min(words.length, 3); used++) {
    const typed = words.slice(0, used).join(':')
    for (const id of ids) {
      const d = distance(typed, id)
      if (d <= Math.max(2, Math.floor(id.length / 3)) && (!best || d < best.d || (d === best.d && used > best.used)))
        best = {id, used, d}
    }
  }
  const typed = words.slice(0, best?.used ?? 1).join(' ')
  const suggestion = best
    ? [
        `Did you mean "${best.id.replaceAll(':', ' ')}"? ${bin} ${[...best.id.split(':'), ...words.slice(best.used)].join(' ')}`,
      ]
    : []
  const error = new DezcError({
    code: 'UNKNOWN_COMMAND',
    message: `"${typed}" is not a ${bin} command.`,
    suggestion: [...suggestion, `See all commands: ${bin} --help`],
    exit: ExitCode.USAGE,
  })
  if (json) process.stdout.write(JSON.stringify(failureEnvelope(error.toJSON(), []), null, 2) + '\n')
  else {
    const {formatError} = await import('../core/base-command.js')
    process.stderr.write(formatError(error, false))
  }
  return this.exit(ExitCode.USAGE)
}

export default hook
