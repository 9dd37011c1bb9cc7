import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {usageError} from '../../core/errors.js'
import {stackFlags} from '../../env/flags.js'
import {stackFromFlags} from '../../env/settings.js'

export interface EnvShellResult {
  exitCode: number
  stdout: string
  stderr: string
}

export default class EnvShell extends DezcCommand<typeof EnvShell> {
  static summary =
    "Open a shell inside a service's container (docker exec -it pgsql-dev bash), or run one command there."
  static description = `A command after -- runs instead of the interactive shell: \`dezc env shell postgres -- ls /var/lib/postgresql/data\`.
With --json the command is required; it runs without a terminal and its output is captured: {"exitCode", "stdout", "stderr"}.`
  static examples = [
    '<%= config.bin %> env shell',
    '<%= config.bin %> env shell pgadmin',
    '<%= config.bin %> env shell postgres --json -- df -h /var/lib/postgresql/data',
  ]
  static strict = false
  static args = {
    service: Args.string({description: 'Service to enter.', options: ['postgres', 'pgadmin'], default: 'postgres'}),
  }
  static flags = {...stackFlags}

  async run(): Promise<EnvShellResult | undefined> {
    const command = this.argv.includes('--') ? this.argv.slice(this.argv.indexOf('--') + 1) : []
    if (this.jsonEnabled() && command.length === 0) {
      throw usageError(
        'USAGE',
        'An interactive shell cannot print JSON.',
        'Pass the command to run after --, e.g. dezc env shell postgres --json -- ls /, or drop --json.',
      )
    }
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envExec, envExecCapture} = await import('../../env/service.js')
    const service = this.args.service as 'postgres' | 'pgadmin'
    if (this.jsonEnabled()) {
      const r = await envExecCapture(stack, service, command)
      process.exitCode = r.exitCode
      return r
    }
    // bash where the image has it, else sh (pgAdmin's image is Alpine).
    process.exitCode = await envExec(
      stack,
      service,
      command.length > 0
        ? command
        : ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'],
    )
    return undefined
  }
}
