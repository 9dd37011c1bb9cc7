import {DezcCommand} from '../../../core/base-command.js'
import {ExitCode} from '../../../core/errors.js'
import {stackFlags} from '../../../env/flags.js'
import {stackFromFlags} from '../../../env/settings.js'
import {clusterEngineFlags} from '../../../spark/flags.js'
import type {ClusterStatusResult} from '../../../spark/cluster.js'

export default class SparkClusterStatus extends DezcCommand<typeof SparkClusterStatus> {
  static summary = "Show the stack's Spark cluster: containers, the master's URLs, which workers are registered."
  static description = `Exits with ${ExitCode.UNHEALTHY} when the master is not running (down) or a worker is lost (degraded: its container exited, or the master lists it DEAD); the lost workers are named.`
  static examples = [
    '<%= config.bin %> spark cluster status',
    '<%= config.bin %> spark cluster status --stack d26 --json',
  ]
  static flags = {...stackFlags, ...clusterEngineFlags}

  async run(): Promise<ClusterStatusResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [{clusterStatus}, {resolveClusterSettings}, {sparkConfigSchema}, {renderClusterStatus}] = await Promise.all([
      import('../../../spark/cluster.js'),
      import('../../../spark/cluster-spec.js'),
      import('../../../spark/settings.js'),
      import('../../../spark/render.js'),
    ])
    const settings = resolveClusterSettings({}, config.section('spark', sparkConfigSchema))
    const result = await clusterStatus({
      stack,
      settings,
      ui: this.ui,
      signal: this.signal,
      dockerContext: this.flags['docker-context'],
    })
    for (const line of renderClusterStatus(result)) this.log(line)
    if (!result.healthy) process.exitCode = ExitCode.UNHEALTHY
    return result
  }
}
