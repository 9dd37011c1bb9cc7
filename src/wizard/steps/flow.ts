/** Wizard step: the week-2 Prefect project, written and started (the same services as `dezc flow init` and `flow up`). */
import type {WizardStep} from '../service.js'

export interface FlowAnswers {
  dir: string
}

export const flowStep: WizardStep<FlowAnswers> = {
  id: 'flow',
  title: 'Prefect workflow (week 2)',
  async ask(ctx, saved) {
    const go = await ctx.ui.prompter.confirm({
      message:
        'Set up the Prefect 3 workflow: a project in ./flow whose monthly runs call dezc ingest, with a local server and worker (Prefect is installed into ./flow/.venv)?',
      default: Boolean(saved),
      flagHint: '--yes',
    })
    return go ? {dir: (saved && saved.dir) || 'flow'} : undefined
  },
  async run(ctx, a) {
    const [{resolveFlowSettings}, {flowInit, flowUp}] = await Promise.all([
      import('../../flow/settings.js'),
      import('../../flow/service.js'),
    ])
    const settings = resolveFlowSettings({flags: {dir: a.dir}, config: ctx.config})
    // Files the user edited are kept (no --force), as `dezc flow init` does.
    await flowInit({settings, force: false, dryRun: false})
    const up = await flowUp({settings, dryRun: false, ui: ctx.ui, signal: ctx.signal})
    return `Prefect UI at ${up.url}; run the ingest with: dezc flow run ingest --dir ${a.dir} -p months=2021-02`
  },
  commands(_ctx, a) {
    return [`dezc flow init --dir ${a.dir}`, `dezc flow up --dir ${a.dir}`]
  },
}
