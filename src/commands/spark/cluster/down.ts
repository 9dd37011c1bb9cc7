import {DezcCommand} from '../../../core/base-command.js'
import {dryRunFlag} from '../../../core/flags.js'
import {stackFlags} from '../../../env/flags.js'
import {stackFromFlags} from '../../../env/settings.js'
import {clusterEngineFlags} from '../../../spark/flags.js'
import type {ClusterDownResult} from '../../../spark/cluster.js'

export default class SparkClusterDown extends DezcCommand<typeof SparkClusterDown> {
  static summary = "Remove the stack's Spark master and workers (only them: Postgres, pgAdmin and the network stay)."
  static description =
    'The network goes too only when `spark cluster up` created it (no env stack) and nothing else is on it.'
  static examples = ['<%= config.bin %> spark cluster down', '<%= config.bin %> spark cluster down --stack d26 --json']
  static flags = {...stackFlags, ...clusterEngineFlags, ...dryRunFlag}

  async run(): Promise<ClusterDownResult> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const [{clusterDown}, {renderClusterDown}] = await Promise.all([
      import('../../../spark/cluster.js'),
      import('../../../spark/render.js'),
    ])
    const result = await clusterDown({
      stack,
      dryRun: Boolean(this.flags['dry-run']),
      ui: this.ui,
      signal: this.signal,
      dockerContext: this.flags['docker-context'],
    })
    for (const line of renderClusterDown(result)) this.log(line)
    return result
  }
}
