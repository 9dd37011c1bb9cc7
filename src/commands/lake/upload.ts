import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {lakeUploadFlags, tripMonthArgs} from '../../lake/flags.js'
import type {LakeDryRun} from '../../lake/plan.js'
import type {UploadResult} from '../../lake/service.js'

export default class LakeUpload extends DezcCommand<typeof LakeUpload> {
  static summary =
    'Upload TLC months to the bucket, one parquet object per month in the canonical schema (resumable, verified, idempotent).'
  static description = `Each month is downloaded (cached, as dezc ingest does), rewritten with DuckDB to the dataset's canonical schema (same column names and types every month; --as-is keeps the TLC bytes), and uploaded with a resumable session to gs://<bucket>/<dataset>/<dataset>_tripdata_<YYYY-MM>.parquet.
An object that already holds the same content is skipped; --force replaces it. A cut upload resumes where the server acknowledged (also in the next run). The stored object's crc32c and md5 are checked against the local file.
The bucket comes from --bucket, DEZC_LAKE_BUCKET, config lake.bucket, or what dezc tf set up.`
  static examples = [
    '<%= config.bin %> lake upload yellow 2021-01..2021-03',
    '<%= config.bin %> lake upload green 2019 --jobs 6',
    '<%= config.bin %> lake upload yellow 2021-01 --as-is --force',
    '<%= config.bin %> lake upload fhv 2019-01 --dry-run',
  ]
  static strict = false
  static args = tripMonthArgs()
  static flags = {...lakeUploadFlags, ...dryRunFlag}

  async run(): Promise<UploadResult | LakeDryRun> {
    const [{resolveLakeSettings}, service, render, {cacheDir}] = await Promise.all([
      import('../../lake/settings.js'),
      import('../../lake/service.js'),
      import('../../lake/render.js'),
      import('../../config/paths.js'),
    ])
    const {argv} = await this.parse(LakeUpload)
    const [dataset, ...periods] = argv as string[]
    const f = this.flags
    const settings = await resolveLakeSettings({
      flags: {bucket: f.bucket, apiRoot: f['api-root'], tfDir: f['tf-dir'], baseUrl: f['base-url'], jobs: f.jobs},
      config: await this.loadDezcConfig(),
    })
    const options = {
      settings,
      dataset,
      periods,
      asIs: f['as-is'],
      force: f.force,
      noCache: f['no-cache'],
      cacheRoot: cacheDir(),
      ui: this.ui,
      signal: this.signal,
    }
    if (f['dry-run']) {
      const plan = await service.lakeUploadDryRun(options)
      for (const line of render.renderDryRun(plan)) this.log(line)
      return plan
    }
    const result = await service.lakeUpload(options)
    for (const line of render.renderUpload(result)) this.log(line)
    return result
  }
}
