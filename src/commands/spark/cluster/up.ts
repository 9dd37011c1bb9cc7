import {DezcCommand} from '../../../core/base-command.js'
import {stackFlags, stackOverrideFlags} from '../../../env/flags.js'
import {stackFromFlags} from '../../../env/settings.js'
import {clusterEngineFlags, clusterUpFlags} from '../../../spark/flags.js'
import type {ClusterUpResult} from '../../../spark/cluster.js'

export default class SparkClusterUp extends DezcCommand<typeof SparkClusterUp> {
  static summary =
    "Start a Spark standalone master and N workers as containers on the stack's network; healthy when every worker has registered."
  static description = `Runs the master and the workers on the stack's Docker engine (the local one, a NAS profile with --host, --docker-host ssh://... / tcp://..., or another machine's Docker context with --docker-context NAME), on the stack's network beside Postgres, with dezc's labels. Waits until the master's status (its web UI's /json/) lists every worker ALIVE, then prints the spark:// URL and the UI URL.

Idempotent like env up: containers with the same settings are left alone, changed ones recreated, extra workers removed. \`dezc spark submit job.py --master <URL>\` runs a job there; --data DIR makes a folder readable by the workers at the same path.`
  static examples = [
    '<%= config.bin %> spark cluster up',
    '<%= config.bin %> spark cluster up --workers 2 --worker-memory 1g --data ./data --stack d26 --json',
    '<%= config.bin %> spark cluster up --host synology --allow-lan --dry-run',
    '<%= config.bin %> spark cluster up --docker-context macbook --allow-lan',
  ]
  static flags = {
    ...stackFlags,
    ...clusterEngineFlags,
    ...clusterUpFlags,
    'wait-timeout': stackOverrideFlags['wait-timeout'],
  }

  async run(): Promise<ClusterUpResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [{clusterUp}, {resolveClusterSettings}, {sparkConfigSchema}, {renderClusterUp}] = await Promise.all([
      import('../../../spark/cluster.js'),
      import('../../../spark/cluster-spec.js'),
      import('../../../spark/settings.js'),
      import('../../../spark/render.js'),
    ])
    const settings = resolveClusterSettings(this.flags, config.section('spark', sparkConfigSchema))
    const result = await clusterUp({
      stack,
      settings,
      dryRun: Boolean(this.flags['dry-run']),
      ui: this.ui,
      signal: this.signal,
      allowLan: Boolean(this.flags['allow-lan']),
      dockerContext: this.flags['docker-context'],
    })
    for (const line of renderClusterUp(result)) this.log(line)
    return result
  }
}
