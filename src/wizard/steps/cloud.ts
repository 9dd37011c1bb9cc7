/** Wizard steps for the cloud half: `dezc gcp bootstrap`, then terraform for the bucket and dataset. */
import {PolicyPrompter} from '../../core/ui.js'
import type {WizardContext, WizardStep} from '../service.js'

export interface GcpAnswers {
  project: string
}

export interface TfAnswers {
  project: string
}

/** The project id as the gcp capability would find it without asking (flags/env/config/gcloud). */
async function knownProject(ctx: WizardContext): Promise<string | undefined> {
  if (ctx.shared.project) return ctx.shared.project
  const {resolveProject} = await import('../../gcp/settings.js')
  const cfg = ctx.config.raw('gcp') as {project?: string} | undefined
  return resolveProject({config: cfg?.project, prompter: new PolicyPrompter(false, false)})
    .then((p) => p.project)
    .catch(() => undefined)
}

async function askProject(ctx: WizardContext, saved: {project?: string} | false | undefined): Promise<string> {
  const {projectIdProblem} = await import('../../gcp/defaults.js')
  const project = await ctx.ui.prompter.input({
    message: 'Google Cloud project ID (as in the console, e.g. my-zoomcamp-123456)',
    // --project (or the GCP step's answer) first, then last run's answer, then what gcloud/ADC know.
    default: ctx.shared.project || (saved && saved.project) || (await knownProject(ctx)),
    flagHint: '--project',
    validate: projectIdProblem,
  })
  ctx.shared.project = project.trim()
  return ctx.shared.project
}

export const gcpStep: WizardStep<GcpAnswers> = {
  id: 'gcp',
  title: 'Google Cloud: service account, roles, APIs and key',
  async ask(ctx, saved) {
    const go = await ctx.ui.prompter.confirm({
      message:
        'Set up the Google Cloud service account (APIs, roles, a JSON key in ~/.gc)? Needs `gcloud auth application-default login` first.',
      default: Boolean(saved),
      flagHint: '--yes',
    })
    return go ? {project: await askProject(ctx, saved)} : undefined
  },
  async run(ctx, a) {
    const [{resolveGcpSettings}, {openSession}, svc] = await Promise.all([
      import('../../gcp/settings.js'),
      import('../../gcp/session.js'),
      import('../../gcp/service.js'),
    ])
    const settings = await resolveGcpSettings({
      flags: {project: a.project},
      config: ctx.config,
      prompter: ctx.ui.prompter,
    })
    const session = await openSession(settings, {ui: ctx.ui, signal: ctx.signal})
    const result = await svc.bootstrap(session, {})
    return `${session.target.email}; key ${session.target.keyFile} (${result.export})`
  },
  commands(_ctx, a) {
    return [`dezc gcp bootstrap --project ${a.project}`]
  },
}

export const tfStep: WizardStep<TfAnswers> = {
  id: 'tf',
  title: 'Terraform: GCS bucket and BigQuery dataset',
  async ask(ctx, saved) {
    const go = await ctx.ui.prompter.confirm({
      message:
        "Create the course's GCS bucket and BigQuery dataset with terraform (you confirm the plan before anything is created)?",
      default: Boolean(saved),
      flagHint: '--yes',
    })
    return go ? {project: await askProject(ctx, saved)} : undefined
  },
  async run(ctx, a) {
    const [{buildTfContext}, {tfInit, tfRun}] = await Promise.all([
      import('../../tf/command-support.js'),
      import('../../tf/service.js'),
    ])
    const tf = buildTfContext(ctx.config, ctx.ui, ctx.signal, false)
    const init = await tfInit(tf, {flags: {project: a.project}, force: false, dryRun: false, skipTerraformInit: false})
    if (!init.terraformInit.ran) return `files written to ${init.dir}; terraform not run: ${init.terraformInit.reason}`
    const applied = await tfRun(tf, 'apply', {yes: false, dryRun: false})
    return `bucket ${init.settings.bucket} and dataset ${init.settings.dataset} in ${init.dir}${applied.changed === false ? ' (already there)' : ''}`
  },
  commands(_ctx, a) {
    return [`dezc tf init --project ${a.project}`, 'dezc tf apply']
  },
}
