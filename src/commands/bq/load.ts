import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {bqFlagValues, bqLoadFlags} from '../../bq/flags.js'
import {tripMonthArgs} from '../../lake/flags.js'
import type {LoadDryRun, LoadResult} from '../../bq/service.js'

export default class BqLoad extends DezcCommand<typeof BqLoad> {
  static summary =
    'Load months from the bucket into a native table partitioned by pickup day and clustered (load jobs; atomic and idempotent per month).'
  static description = `The table <dataset>_tripdata is partitioned by DAY on DATE(<pickup column>) and clustered (VendorID for yellow and green). Each month: a load job from gs://<bucket>/<dataset>/<dataset>_tripdata_<YYYY-MM>.parquet into a staging table, then one transaction replaces the rows whose dezc_month is that month and records it in the dezc_bq_ledger table. A re-run skips loaded months; --force replaces exactly that month; a failed job leaves the table as it was. Without periods: every month the bucket holds.`
  static examples = [
    '<%= config.bin %> bq load yellow 2021-01..2021-03',
    '<%= config.bin %> bq load yellow 2021-02 --force',
    '<%= config.bin %> bq load green 2019 --dry-run',
  ]
  static strict = false
  static args = tripMonthArgs('; default: every month in the bucket')
  static flags = {...bqLoadFlags, ...dryRunFlag}

  async run(): Promise<LoadResult | LoadDryRun> {
    const [{resolveBqSettings}, service, render] = await Promise.all([
      import('../../bq/settings.js'),
      import('../../bq/service.js'),
      import('../../bq/render.js'),
    ])
    const {argv} = await this.parse(BqLoad)
    const [dataset, ...periods] = argv as string[]
    const settings = await resolveBqSettings({
      flags: bqFlagValues(this.flags),
      config: await this.loadDezcConfig(),
      prompter: this.ui.prompter,
      needBucket: true,
    })
    const options = {settings, dataset, periods, force: this.flags.force, ui: this.ui, signal: this.signal}
    return this.planOrRun(Boolean(this.flags['dry-run']), {
      plan: () => service.bqLoadDryRun(options),
      renderPlan: render.renderLoadDryRun,
      run: () => service.bqLoad(options),
      render: render.renderLoad,
    })
  }
}
