import {DezcCommand} from '../../core/base-command.js'
import {projectFlags} from '../../flow/flags.js'
import {resolveFlowSettings} from '../../flow/settings.js'

export default class FlowDown extends DezcCommand<typeof FlowDown> {
  static summary = "Stop the project's Prefect worker and server (runs, deployments and the stack's data are kept)."
  static examples = ['<%= config.bin %> flow down', '<%= config.bin %> flow down --dir pipelines --json']
  static flags = projectFlags

  async run(): Promise<import('../../flow/service.js').DownResult> {
    const settings = resolveFlowSettings({flags: {dir: this.flags.dir}, config: await this.loadDezcConfig()})
    const [{flowDown}, {renderDown}] = await Promise.all([
      import('../../flow/service.js'),
      import('../../flow/render.js'),
    ])
    const r = await flowDown({settings})
    for (const line of renderDown(r)) this.log(line)
    return r
  }
}
