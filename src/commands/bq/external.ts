import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {bqBucketFlags, bqFlagValues} from '../../bq/flags.js'
import type {ExternalDryRun, ExternalResult} from '../../bq/service.js'

export default class BqExternal extends DezcCommand<typeof BqExternal> {
  static summary = 'Create or replace one external table over every month of a dataset in the bucket.'
  static description = `The table <dataset>_tripdata_external reads gs://<bucket>/<dataset>/*.parquet (what dezc lake upload wrote: one canonical-schema file per month, so one table spans years). Its rows are counted once, which reads every file and fails early when their schemas differ.`
  static examples = ['<%= config.bin %> bq external yellow', '<%= config.bin %> bq external green --dry-run']
  static args = {dataset: Args.string({description: 'yellow, green, fhv or fhvhv', required: true})}
  static flags = {...bqBucketFlags, ...dryRunFlag}

  async run(): Promise<ExternalResult | ExternalDryRun> {
    const [{resolveBqSettings}, service, render] = await Promise.all([
      import('../../bq/settings.js'),
      import('../../bq/service.js'),
      import('../../bq/render.js'),
    ])
    const settings = await resolveBqSettings({
      flags: bqFlagValues(this.flags),
      config: await this.loadDezcConfig(),
      prompter: this.ui.prompter,
      needBucket: true,
    })
    const options = {settings, dataset: this.args.dataset, ui: this.ui, signal: this.signal}
    return this.planOrRun(Boolean(this.flags['dry-run']), {
      plan: async () => service.bqExternalDryRun(options),
      renderPlan: render.renderExternalDryRun,
      run: () => service.bqExternal(options),
      render: render.renderExternal,
    })
  }
}
