import {DezcCommand} from '../../core/base-command.js'
import {ExitCode} from '../../core/errors.js'
import {stackFlags, stackOverrideFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'
import type {EnvStatusResult} from '../../env/status.js'

export default class EnvStatus extends DezcCommand<typeof EnvStatus> {
  static summary = 'Show each service: state, health, last probe, address, image, uptime.'
  static description = `Exits with ${ExitCode.UNHEALTHY} when a service is missing or unhealthy, so scripts can wait on it.`
  static examples = ['<%= config.bin %> env status', '<%= config.bin %> env status --stack demo --json']
  static flags = {...stackFlags, 'no-pgadmin': stackOverrideFlags['no-pgadmin']}

  async run(): Promise<EnvStatusResult> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const [{envStatus, formatUptime}, {envUpCommand}] = await Promise.all([import('../../env/status.js'), import('../../env/profiles.js')])
    const result = await envStatus(stack)
    const rows = [['SERVICE', 'STATE', 'HEALTH', 'ADDRESS', 'IMAGE', 'UPTIME', 'LAST PROBE']]
    for (const s of result.services) rows.push([s.service, s.state, s.health, s.address, s.image ?? '-', formatUptime(s.uptimeSeconds), s.lastProbe ?? '-'])
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
    for (const r of rows) this.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
    if (!result.ok) {
      this.logToStderr(`Not all services are healthy. Start or repair them with: ${envUpCommand(stack)}`)
      process.exitCode = ExitCode.UNHEALTHY
    }
    return result
  }
}
