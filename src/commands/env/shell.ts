import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'

export default class EnvShell extends DezcCommand<typeof EnvShell> {
  static summary = 'Open a shell inside a service\'s container (docker exec -it pgsql-dev bash).'
  static examples = ['<%= config.bin %> env shell', '<%= config.bin %> env shell pgadmin']
  // --json is accepted for scripts' sake: the shell itself is interactive, errors come as JSON.
  static args = {service: Args.string({description: 'Service to enter.', options: ['postgres', 'pgadmin'], default: 'postgres'})}
  static flags = {...stackFlags}

  async run(): Promise<void> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envExec} = await import('../../env/exec.js')
    // bash where the image has it, else sh (pgAdmin's image is Alpine).
    process.exitCode = await envExec(stack, this.args.service as 'postgres' | 'pgadmin', ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'])
  }
}
