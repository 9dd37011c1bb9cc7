import {Args, Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../env/flags.js'
import {stackFromFlags} from '../../env/settings.js'

export default class EnvLogs extends DezcCommand<typeof EnvLogs> {
  static summary = "Show the services' logs, each line prefixed by its service."
  static description =
    'With --json: {"lines": [{service, stream, line}]}; with --json --follow, one such object per line as it arrives (JSON Lines).'
  static examples = ['<%= config.bin %> env logs', '<%= config.bin %> env logs postgres -f --tail 50']
  static args = {service: Args.string({description: 'Only this service.', options: ['postgres', 'pgadmin']})}
  static flags = {
    ...stackFlags,
    follow: Flags.boolean({char: 'f', description: 'Keep streaming new lines (Ctrl-C to stop).'}),
    tail: Flags.integer({description: 'Only the last N lines of each service.', min: 0}),
    timestamps: Flags.boolean({char: 't', description: 'Show timestamps.'}),
  }

  async run(): Promise<{lines: import('../../env/service.js').LogLine[]} | undefined> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envLogs} = await import('../../env/service.js')
    const f = this.flags
    const lines: import('../../env/service.js').LogLine[] = []
    // --json --follow cannot wait for the end to print one document: JSON Lines instead.
    const onLine = !this.jsonEnabled()
      ? undefined
      : f.follow
        ? (l: import('../../env/service.js').LogLine) => process.stdout.write(JSON.stringify(l) + '\n')
        : (l: import('../../env/service.js').LogLine) => lines.push(l)
    await envLogs(stack, {
      service: this.args.service as 'postgres' | 'pgadmin' | undefined,
      follow: f.follow,
      tail: f.tail,
      timestamps: f.timestamps,
      signal: this.signal,
      onLine,
    })
    return this.jsonEnabled() && !f.follow ? {lines} : undefined
  }
}
