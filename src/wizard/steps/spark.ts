/** Wizard step: JDK + Spark with verified downloads and the shell block (the same service as `dezc spark install`). */
import type {WizardStep} from '../service.js'

export interface SparkAnswers {
  version: string
}

export const sparkStep: WizardStep<SparkAnswers> = {
  id: 'spark',
  title: 'Java and Spark',
  async ask(ctx, saved) {
    const {resolveSparkSettings, sparkConfigSchema} = await import('../../spark/settings.js')
    // The edition chosen in the wizard's first question picks the Spark version (3.3.2 or 4.0.1).
    const settings = resolveSparkSettings({course: ctx.stack.course}, ctx.config.section('spark', sparkConfigSchema))
    const go = await ctx.ui.prompter.confirm({
      message: `Install Spark ${(saved && saved.version) || settings.version} and a JDK (checksums verified; JAVA_HOME/SPARK_HOME added to your shell rc)?`,
      default: Boolean(saved),
      flagHint: '--yes',
    })
    return go ? {version: (saved && saved.version) || settings.version} : undefined
  },
  async run(ctx, a) {
    const [{installSpark}, {resolveSparkSettings, sparkConfigSchema}, {nodePlatform}, {cacheDir}] = await Promise.all([
      import('../../spark/service.js'),
      import('../../spark/settings.js'),
      import('../../spark/platform.js'),
      import('../../config/paths.js'),
    ])
    const settings = resolveSparkSettings(
      {version: a.version, course: ctx.stack.course},
      ctx.config.section('spark', sparkConfigSchema),
    )
    const r = await installSpark({
      ...settings,
      cacheDir: cacheDir(),
      dryRun: false,
      platform: nodePlatform(),
      ui: ctx.ui,
      signal: ctx.signal,
    })
    return r.changed
      ? `Spark ${r.version} at ${r.sparkHome}, Java at ${r.javaHome}; open a new terminal or: source ${r.rcFile}`
      : `already in place (Spark ${r.version} at ${r.sparkHome})`
  },
  commands(_ctx, a) {
    return [`dezc spark install --version ${a.version}`]
  },
}
