import {DezcCommand} from '../../core/base-command.js'
import {ExitCode} from '../../core/errors.js'
import {stackFlags, stackOverrideFlags} from '../../env/flags.js'
import {stackFromFlags} from '../../env/settings.js'
import type {EnvStatusResult} from '../../env/service.js'

export default class EnvStatus extends DezcCommand<typeof EnvStatus> {
  static summary = 'Show each service: state, health, last probe, address, image, uptime.'
  static description = `Exits with ${ExitCode.UNHEALTHY} when a service is missing or unhealthy, so scripts can wait on it.`
  static examples = ['<%= config.bin %> env status', '<%= config.bin %> env status --stack demo --json']
  static flags = {...stackFlags, 'no-pgadmin': stackOverrideFlags['no-pgadmin']}

  async run(): Promise<EnvStatusResult> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const [{envStatus}, {renderStatus}] = await Promise.all([
      import('../../env/service.js'),
      import('../../env/render.js'),
    ])
    const result = await envStatus(stack)
    const {table, unhealthy} = renderStatus(stack, result)
    for (const line of table) this.log(line)
    if (unhealthy) {
      this.logToStderr(unhealthy)
      process.exitCode = ExitCode.UNHEALTHY
    }
    return result
  }
}
