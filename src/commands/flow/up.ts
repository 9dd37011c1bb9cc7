import {DezcCommand} from '../../core/base-command.js'
import {upFlags} from '../../flow/flags.js'
import {resolveFlowSettings} from '../../flow/settings.js'

export default class FlowUp extends DezcCommand<typeof FlowUp> {
  static summary = "Start the project's Prefect server, work pool, deployment and worker on this machine."
  static description = `A local Prefect server on 127.0.0.1 (SQLite under <dir>/.dezc/prefect), the work pool of type process, the deployments of prefect.yaml (prefect deploy --all, again only when the project changed) and a worker, as background processes with pid files and logs in <dir>/.dezc/. Waits until the API is healthy and the worker is registered, then prints the UI URL. Prefect is installed into --venv first when it is missing. Idempotent: what runs is left running.`
  static examples = [
    '<%= config.bin %> flow up',
    '<%= config.bin %> flow up --port 4300',
    '<%= config.bin %> flow up --dry-run',
  ]
  static flags = upFlags

  async run(): Promise<import('../../flow/service.js').UpResult> {
    const f = this.flags
    const settings = resolveFlowSettings({
      flags: {dir: f.dir, port: f.port, venv: f.venv},
      config: await this.loadDezcConfig(),
    })
    const [{flowUp}, {renderUp}] = await Promise.all([import('../../flow/service.js'), import('../../flow/render.js')])
    const r = await flowUp({
      settings,
      dryRun: Boolean(f['dry-run']),
      ui: this.ui,
      signal: this.signal,
      timeoutMs: f['wait-timeout'] * 1000,
    })
    for (const line of renderUp(r)) this.log(line)
    return r
  }
}
