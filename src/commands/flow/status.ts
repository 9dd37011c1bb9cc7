import {DezcCommand} from '../../core/base-command.js'
import {ExitCode} from '../../core/errors.js'
import {projectFlags} from '../../flow/flags.js'
import {resolveFlowSettings} from '../../flow/settings.js'

export default class FlowStatus extends DezcCommand<typeof FlowStatus> {
  static summary = "Show the project's Prefect server (reachable?), worker (alive and registered?) and deployments."
  static description = `Exits with ${ExitCode.UNHEALTHY} when the server or the worker is not up, so scripts can wait on it.`
  static examples = ['<%= config.bin %> flow status', '<%= config.bin %> flow status --json']
  static flags = projectFlags

  async run(): Promise<import('../../flow/service.js').StatusResult> {
    const settings = resolveFlowSettings({
      flags: {dir: this.flags.dir, port: this.flags.port},
      config: await this.loadDezcConfig(),
    })
    const [{flowStatus}, {renderStatus}] = await Promise.all([
      import('../../flow/service.js'),
      import('../../flow/render.js'),
    ])
    const r = await flowStatus({settings})
    const {lines, problem} = renderStatus(r)
    for (const line of lines) this.log(line)
    if (problem) {
      this.logToStderr(problem)
      process.exitCode = ExitCode.UNHEALTHY
    }
    return r
  }
}
