import {Args, Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'

export default class EnvLogs extends DezcCommand<typeof EnvLogs> {
  static summary = 'Show the services\' logs, each line prefixed by its service.'
  static examples = ['<%= config.bin %> env logs', '<%= config.bin %> env logs postgres -f --tail 50']
  static enableJsonFlag = false
  static args = {service: Args.string({description: 'Only this service.', options: ['postgres', 'pgadmin']})}
  static flags = {
    ...stackFlags,
    follow: Flags.boolean({char: 'f', description: 'Keep streaming new lines (Ctrl-C to stop).'}),
    tail: Flags.integer({description: 'Only the last N lines of each service.', min: 0}),
    timestamps: Flags.boolean({char: 't', description: 'Show timestamps.'}),
  }

  async run(): Promise<void> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envLogs} = await import('../../env/logs.js')
    await envLogs(stack, {service: this.args.service as 'postgres' | 'pgadmin' | undefined, follow: this.flags.follow, tail: this.flags.tail, timestamps: this.flags.timestamps, signal: this.signal})
  }
}
