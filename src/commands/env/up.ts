import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag, stackFlags, stackOverrideFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'
import type {DryRunResult} from '../../env/dry-run.js'
import type {EnvUpResult} from '../../env/up.js'

export default class EnvUp extends DezcCommand<typeof EnvUp> {
  static summary = 'Start the course\'s Postgres + pgAdmin stack and wait until it is healthy.'
  static description = `Creates the network, volumes and containers that are missing, leaves a healthy stack with the same configuration alone, and recreates containers whose configuration changed (data volumes are always kept). Safe to re-run.`
  static examples = [
    '<%= config.bin %> env up',
    '<%= config.bin %> env up --host synology',
    '<%= config.bin %> env up --stack demo --pg-port 15433 --pgadmin-port 18080 --json',
  ]
  static flags = {...stackFlags, ...stackOverrideFlags, ...dryRunFlag}

  async run(): Promise<EnvUpResult | DryRunResult> {
    const config = await this.loadDezcConfig()
    let stack = stackFromFlags(config, this.flags)
    if (this.flags['dry-run']) {
      const {planUp, renderDryRun} = await import('../../env/dry-run.js')
      const plan = await planUp(stack, this.ui)
      this.log(renderDryRun(plan))
      return plan
    }
    const [{ensureSecrets}, {envUp}] = await Promise.all([import('../../env/secrets.js'), import('../../env/up.js')])
    stack = await ensureSecrets(stack, config.secretsFile, this.ui.reporter)
    const result = await envUp(stack, this.ui, this.signal)
    const name = stack.name ? `Stack "${stack.name}"` : 'Stack'
    this.log(`${name} (profile ${stack.profile}) is ${result.changed ? 'up' : 'already up, nothing to change'} (${result.seconds} s).`)
    this.log(`  Postgres  ${result.postgres.url}    psql: dezc env psql${stack.name ? ` --stack ${stack.name}` : ''}`)
    if (result.pgadmin) this.log(`  pgAdmin   ${result.pgadmin.url}    login ${result.pgadmin.email}; server registered as host "${result.postgres.networkAlias}" (not localhost)`)
    return result
  }
}
