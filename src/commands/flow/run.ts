import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {runFlags} from '../../flow/flags.js'
import {resolveFlowSettings} from '../../flow/settings.js'

export default class FlowRun extends DezcCommand<typeof FlowRun> {
  static summary = 'Run a deployment through the Prefect API and follow it; exits 0 only when the run Completed.'
  static description = `Creates a flow run of the deployment (its name, or flow/deployment) with the given parameters, shows its state and each task's state as they change, and ends when the run is final. A run that ends Failed, Crashed or Cancelled shows its logs and exits 1 (FLOW_RUN_FAILED). --json gives the run id, the final state and the task runs.`
  static examples = [
    '<%= config.bin %> flow run ingest --param dataset=yellow --param months=2021-02',
    '<%= config.bin %> flow run ingest -p dataset=green -p months=2019-01..2019-03 --json',
  ]
  static args = {deployment: Args.string({description: 'Deployment name (ingest) or flow/deployment', required: true})}
  static flags = runFlags

  async run(): Promise<import('../../flow/service.js').RunResult> {
    const f = this.flags
    const settings = resolveFlowSettings({flags: {dir: f.dir, port: f.port}, config: await this.loadDezcConfig()})
    const [{flowRun}, {renderRun}] = await Promise.all([
      import('../../flow/service.js'),
      import('../../flow/render.js'),
    ])
    const r = await flowRun({
      settings,
      deployment: this.args.deployment,
      params: f.param ?? [],
      timeoutMs: f.timeout * 1000,
      ui: this.ui,
      signal: this.signal,
    })
    for (const line of renderRun(r)) this.log(line)
    return r
  }
}
