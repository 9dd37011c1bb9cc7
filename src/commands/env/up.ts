import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {stackFlags, stackOverrideFlags} from '../../env/flags.js'
import {stackFromFlags} from '../../env/settings.js'
import type {DryRunResult, EnvUpResult} from '../../env/service.js'

export default class EnvUp extends DezcCommand<typeof EnvUp> {
  static summary = "Start the course's Postgres + pgAdmin stack and wait until it is healthy."
  static description = `Creates the network, volumes and containers that are missing, leaves a healthy stack with the same configuration alone, and recreates containers whose configuration changed (data volumes are always kept). Safe to re-run.`
  static examples = [
    '<%= config.bin %> env up',
    '<%= config.bin %> env up --host synology',
    '<%= config.bin %> env up --stack demo --pg-port 15433 --pgadmin-port 18080 --json',
  ]
  static flags = {...stackFlags, ...stackOverrideFlags, ...dryRunFlag}

  async run(): Promise<EnvUpResult | DryRunResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [svc, render] = await Promise.all([import('../../env/service.js'), import('../../env/render.js')])
    if (this.flags['dry-run']) {
      const plan = await svc.planUp(stack, this.ui)
      this.log(render.renderDryRun(plan))
      return plan
    }
    const withSecrets = await svc.ensureSecrets(stack, config.secretsFile, this.ui.reporter)
    const result = await svc.envUp(withSecrets, this.ui, this.signal)
    for (const line of render.renderUp(withSecrets, result)) this.log(line)
    return result
  }
}
