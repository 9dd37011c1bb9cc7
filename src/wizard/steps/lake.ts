/**
 * Wizard step: the lake and the warehouse (week 3): the months the ingest step loaded into
 * Postgres, also normalised into the course bucket and loaded into BigQuery (the same service as
 * `dezc ingest --to bigquery`). Asked only when this run loaded trip months and a bucket is known
 * (the terraform step, or lake/tf settings); otherwise skipped without a question.
 */
import type {WizardContext, WizardStep} from '../service.js'

export interface LakeAnswers {
  dataset: string
  periods: string
}

/** The bucket dezc lake would use, when one is set up (no prompt, no I/O beyond reading config and tfvars). */
async function knownBucket(ctx: WizardContext): Promise<string | undefined> {
  const {resolveLakeSettings} = await import('../../lake/settings.js')
  return resolveLakeSettings({flags: {}, config: ctx.config})
    .then((s) => s.bucket)
    .catch(() => undefined)
}

export const lakeStep: WizardStep<LakeAnswers> = {
  id: 'lake',
  title: 'Lake and warehouse (week 3)',
  async ask(ctx, saved) {
    const loaded = ctx.shared.ingest
    if (!loaded) return undefined
    const [dataset, ...periods] = loaded.split(' ')
    if (dataset === 'zones' || periods.length === 0) return undefined
    const bucket = await knownBucket(ctx)
    if (!bucket) return undefined
    const go = await ctx.ui.prompter.confirm({
      message: `Put ${loaded} into the lake (gs://${bucket}, canonical parquet) and load it into BigQuery (partitioned, clustered)?`,
      default: Boolean(saved),
      flagHint: '--yes',
    })
    return go ? {dataset, periods: periods.join(' ')} : undefined
  },
  async run(ctx, a) {
    const [{ingest}, {ingestTarget}, {resolveBqSettings}, {bigQueryTable}, {cacheDir}, path] = await Promise.all([
      import('../../ingest/service.js'),
      import('../../ingest/settings.js'),
      import('../../bq/settings.js'),
      import('../../ingest/targets/bigquery.js'),
      import('../../config/paths.js'),
      import('node:path'),
    ])
    const settings = await ingestTarget(ctx.config, {
      to: 'bigquery',
      course: ctx.stack.course,
      dataset: a.dataset,
      baseUrl: process.env.DEZC_INGEST_BASE_URL || undefined,
    })
    const bq = await resolveBqSettings({
      flags: {project: ctx.shared.project},
      config: ctx.config,
      prompter: ctx.ui.prompter,
      needBucket: true,
    })
    const summary = await ingest({
      dataset: a.dataset,
      periods: a.periods.split(/\s+/),
      baseUrl: settings.baseUrl,
      source: settings.source,
      table: await bigQueryTable(a.dataset),
      bigquery: {settings: bq, cacheRoot: cacheDir(), ui: ctx.ui},
      jobs: settings.jobs,
      cacheRoot: path.join(cacheDir(), 'ingest'),
      ui: ctx.ui,
      signal: ctx.signal,
    })
    const rows = summary.loads.reduce((n, l) => n + l.rows, 0)
    return `${rows.toLocaleString('en-US')} rows in ${bq.project}:${bq.bqDataset}.${summary.table} via gs://${bq.lake!.bucket}`
  },
  commands(ctx, a) {
    return [
      `dezc ingest ${a.dataset} ${a.periods} --to bigquery${ctx.shared.project ? ` --project ${ctx.shared.project}` : ''}`,
    ]
  },
}
