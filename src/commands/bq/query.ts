import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {bqFlagValues, bqQueryFlags} from '../../bq/flags.js'
import type {QueryResult} from '../../bq/service.js'
import {Flags} from '@oclif/core'

export default class BqQuery extends DezcCommand<typeof BqQuery> {
  static summary = 'Run a GoogleSQL query; --dry-run prints the bytes it would scan and the on-demand cost.'
  static description = `The query runs in the location of the BigQuery dataset (--bq-dataset, else the one dezc tf set up). --dry-run asks BigQuery for totalBytesProcessed without running anything (free) and prices it at USD 6.25 per TiB (--usd-per-tib).`
  static examples = [
    '<%= config.bin %> bq query "SELECT COUNT(*) FROM \\`my-proj.trips_data_all.yellow_tripdata\\`"',
    '<%= config.bin %> bq query "SELECT DISTINCT VendorID FROM \\`my-proj.trips_data_all.yellow_tripdata_external\\`" --dry-run',
  ]
  static args = {sql: Args.string({description: 'The GoogleSQL statement', required: true})}
  static flags = {
    ...bqQueryFlags,
    'dry-run': Flags.boolean({
      description: 'Only estimate: the bytes BigQuery would process and their on-demand cost.',
    }),
  }

  async run(): Promise<QueryResult> {
    const [{resolveBqSettings}, {bqQuery}, {renderQuery}] = await Promise.all([
      import('../../bq/settings.js'),
      import('../../bq/service.js'),
      import('../../bq/render.js'),
    ])
    const settings = await resolveBqSettings({
      flags: bqFlagValues(this.flags),
      config: await this.loadDezcConfig(),
      prompter: this.ui.prompter,
      needBucket: false,
    })
    const result = await bqQuery({
      settings,
      sql: this.args.sql,
      dryRun: Boolean(this.flags['dry-run']),
      maxRows: this.flags['max-rows'],
      ui: this.ui,
      signal: this.signal,
    })
    this.logLines(renderQuery(result))
    return result
  }
}
