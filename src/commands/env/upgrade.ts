import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {stackFlags, stackOverrideFlags} from '../../env/flags.js'
import type {EnvUpgradeResult} from '../../env/service.js'
import {stackFromFlags} from '../../env/settings.js'

export default class EnvUpgrade extends DezcCommand<typeof EnvUpgrade> {
  static summary = "Move the stack's Postgres data to another major version (dump, restore, row counts checked)."
  static description = `Dumps every database from the old server (pg_dump), restores it into the new major on a new volume (<volume>-pg<N>), counts the rows of every table on both and switches the stack only when they match.
The old volume is kept until --prune-old; a failure or Ctrl-C before the switch removes what the upgrade made and leaves the old stack as it was.`
  static examples = [
    '<%= config.bin %> env upgrade --to 18',
    '<%= config.bin %> env upgrade --to 18 --course 2026 --stack demo --json',
    '<%= config.bin %> env upgrade --to 18 --prune-old',
  ]
  static flags = {
    ...stackFlags,
    ...stackOverrideFlags,
    to: Flags.integer({description: 'PostgreSQL major to upgrade to (e.g. 18).', required: true}),
    'prune-old': Flags.boolean({
      description: 'Remove the old data volume once the restored data is checked (or, already upgraded, now).',
    }),
  }

  async run(): Promise<EnvUpgradeResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [svc, render] = await Promise.all([import('../../env/service.js'), import('../../env/render.js')])
    const withSecrets = await svc.ensureSecrets(stack, config.secretsFile, this.ui.reporter)
    const result = await svc.envUpgrade(withSecrets, {
      to: this.flags.to,
      pruneOld: Boolean(this.flags['prune-old']),
      ui: this.ui,
      signal: this.signal,
    })
    for (const line of render.renderUpgrade(result)) this.log(line)
    return result
  }
}
