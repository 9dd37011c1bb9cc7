/** Wizard step: start Postgres + pgAdmin (the same service as `dezc env up`). */
import type {WizardStep} from '../service.js'

export interface EnvAnswers {
  up: true
}

export const envStep: WizardStep<EnvAnswers> = {
  id: 'env',
  title: 'Start Postgres and pgAdmin',
  async ask(ctx, saved) {
    const pgadmin = ctx.stack.pgadmin.enabled ? ` and pgAdmin on port ${ctx.stack.pgadmin.port}` : ''
    const yes = await ctx.ui.prompter.confirm({
      message: `Start Postgres on port ${ctx.stack.postgres.port}${pgadmin} (profile ${ctx.stack.profile})?`,
      default: saved !== false,
      flagHint: '--yes',
    })
    return yes ? {up: true} : undefined
  },
  async run(ctx) {
    const [{ensureSecrets}, {envUp}] = await Promise.all([import('../../env/secrets.js'), import('../../env/up.js')])
    const stack = await ensureSecrets(ctx.stack, ctx.config.secretsFile, ctx.ui.reporter)
    ctx.stack = stack
    const r = await envUp(stack, ctx.ui, ctx.signal)
    return `Postgres at ${r.postgres.url}${r.pgadmin ? `, pgAdmin at ${r.pgadmin.url}` : ''}`
  },
  commands(ctx) {
    return [`dezc env up${ctx.stackArgs}`]
  },
}
