import {DezcCommand} from '../../core/base-command.js'
import {initFlags} from '../../flow/flags.js'
import {resolveFlowSettings} from '../../flow/settings.js'

export default class FlowInit extends DezcCommand<typeof FlowInit> {
  static summary = 'Write a Prefect 3 project: the week-2 ingest as a flow with one retried dezc ingest task per month.'
  static description = `Writes flows/ingest.py (parameters dataset, months, stack, table; retries with delays), prefect.yaml (the deployment on a process work pool, a monthly schedule), a pinned requirements.txt, a README that maps the course notes' Prefect 2 commands to Prefect 3, and a .gitignore into --dir. Files you edited are never overwritten without --force. No credentials are written: the tasks get them from the env stack through dezc.`
  static examples = ['<%= config.bin %> flow init', '<%= config.bin %> flow init --dir pipelines --dry-run']
  static flags = initFlags

  async run(): Promise<import('../../flow/service.js').InitResult> {
    const settings = resolveFlowSettings({flags: {dir: this.flags.dir}, config: await this.loadDezcConfig()})
    const [{flowInit}, {renderInit}] = await Promise.all([
      import('../../flow/service.js'),
      import('../../flow/render.js'),
    ])
    const r = await flowInit({settings, force: Boolean(this.flags.force), dryRun: Boolean(this.flags['dry-run'])})
    for (const line of renderInit(r)) this.log(line)
    return r
  }
}
