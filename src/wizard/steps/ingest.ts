/** Wizard step: load a dataset's months into the stack's Postgres (the same service as `dezc ingest`). */
import type {WizardStep} from '../service.js'

export interface IngestAnswers {
  dataset: string
  /** As typed: `2021-01`, `2021-01..2021-03`, `2021`; several separated by spaces. Empty for zones. */
  periods: string
}

export const ingestStep: WizardStep<IngestAnswers> = {
  id: 'ingest',
  title: 'Load NYC taxi trip data',
  async ask(ctx, saved) {
    const go = await ctx.ui.prompter.confirm({
      message: 'Load NYC taxi trip data into Postgres now?',
      default: saved !== false,
      flagHint: '--yes',
    })
    if (!go) return undefined
    const [{DATASET_NAMES}, {expandPeriods}] = await Promise.all([
      import('../../ingest/datasets.js'),
      import('../../ingest/periods.js'),
    ])
    const dataset = await ctx.ui.prompter.select({
      message: 'Which dataset?',
      choices: DATASET_NAMES.map((d) => ({
        name: d === 'zones' ? 'zones (the 265-row taxi zone lookup)' : `${d} taxi trips`,
        value: d,
      })),
      default: (saved && saved.dataset) || 'yellow',
      flagHint: 'dezc ingest DATASET',
    })
    if (dataset === 'zones') return {dataset, periods: ''}
    const periods = await ctx.ui.prompter.input({
      message: 'Which months? (2021-01, a range 2021-01..2021-03, or a year 2021)',
      default: (saved && saved.periods) || '2021-01',
      flagHint: 'dezc ingest DATASET PERIOD',
      validate: (v) => {
        try {
          return expandPeriods(v.trim().split(/\s+/)).length > 0 || 'Give at least one month.'
        } catch (error) {
          return (error as Error).message
        }
      },
    })
    return {dataset, periods: periods.trim()}
  },
  async run(ctx, a) {
    const [{ingest}, {ingestTarget}, {stackDatabase}, {cacheDir}, path] = await Promise.all([
      import('../../ingest/service.js'),
      import('../../ingest/settings.js'),
      import('../../env/database.js'),
      import('../../config/paths.js'),
      import('node:path'),
    ])
    const stack = ctx.stack
    // The wizard's own stack (it may have just started it), resolved like `dezc ingest` does.
    const dbUrl = (await stackDatabase(stack)).url
    const settings = await ingestTarget(ctx.config, {
      dbUrl,
      course: ctx.stack.course,
      dataset: a.dataset,
      baseUrl: process.env.DEZC_INGEST_BASE_URL || undefined,
    })
    const summary = await ingest({
      dataset: a.dataset,
      periods: a.periods ? a.periods.split(/\s+/) : [],
      baseUrl: settings.baseUrl,
      source: settings.source,
      table: settings.table,
      dbUrl,
      jobs: settings.jobs,
      cacheRoot: path.join(cacheDir(), 'ingest'),
      ui: ctx.ui,
      signal: ctx.signal,
    })
    // The lake step offers the same months for the bucket and BigQuery.
    ctx.shared.ingest = `${a.dataset}${a.periods ? ` ${a.periods}` : ''}`
    const rows = summary.loads.reduce((n, l) => n + l.rows, 0)
    const loaded = summary.loads.filter((l) => l.status !== 'skipped').length
    return `${rows.toLocaleString('en-US')} rows in ${summary.table} (${loaded} loaded, ${summary.loads.length - loaded} already there)`
  },
  commands(ctx, a) {
    return [
      `dezc ingest ${a.dataset}${a.periods ? ` ${a.periods}` : ''}${ctx.stackArgs.replace(/ --(pg-port|pgadmin-port) \d+| --no-pgadmin/g, '')}`,
    ]
  },
}
