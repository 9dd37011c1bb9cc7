/** Wizard step: the week-4 dbt project over what was loaded into the stack's Postgres (the same service as `dezc dbt init`). */
import type {WizardStep} from '../service.js'

export interface DbtAnswers {
  dir: string
}

export const dbtStep: WizardStep<DbtAnswers> = {
  id: 'dbt',
  title: 'dbt project (week 4)',
  async ask(ctx, saved) {
    const go = await ctx.ui.prompter.confirm({
      message:
        "Write the week-4 dbt project in ./dbt from the tables dezc loaded into the stack's Postgres (then dezc dbt install, dezc dbt build)?",
      default: Boolean(saved),
      flagHint: '--yes',
    })
    return go ? {dir: (saved && saved.dir) || 'dbt'} : undefined
  },
  async run(ctx, a) {
    const [{resolveDbtSettings}, {dbtInit}, {TLC_BASE_URL}] = await Promise.all([
      import('../../dbt/settings.js'),
      import('../../dbt/service.js'),
      import('../../ingest/datasets.js'),
    ])
    // The wizard's own stack; files the user edited are kept (no --force), as `dezc dbt init` does.
    const settings = {...resolveDbtSettings(ctx.config, {dir: a.dir, target: 'postgres'}), stack: ctx.stack}
    const r = await dbtInit({
      settings,
      force: false,
      dryRun: false,
      zonesBaseUrl: process.env.DEZC_INGEST_BASE_URL || TLC_BASE_URL,
      ui: ctx.ui,
      signal: ctx.signal,
    })
    return `${r.sources.length} source table(s) in ${a.dir}; next: cd ${a.dir} && dezc dbt install && dezc dbt build`
  },
  commands(ctx, a) {
    const stackArgs = ctx.stackArgs.replace(/ --(pg-port|pgadmin-port) \d+| --no-pgadmin/g, '')
    return [`dezc dbt init --dir ${a.dir}${stackArgs}`]
  },
}
