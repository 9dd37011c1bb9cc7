import {DezcCommand} from '../../core/base-command.js'
import {installFlags} from '../../spark/flags.js'
import type {InstallResult} from '../../spark/service.js'

export default class SparkInstall extends DezcCommand<typeof SparkInstall> {
  static summary =
    'Install a JDK and Spark (default 3.3.2; 4.0.1 with --course 2026) under ~/spark and add one env block to your shell rc.'
  static description = `What the course's Spark module does by hand: download OpenJDK 11 (or reuse an installed Java with --java auto; Homebrew's openjdk@11 on macOS) and the Apache Spark distribution, verify the published checksums, extract under --prefix, and write one marked block exporting JAVA_HOME, SPARK_HOME, PATH and PYTHONPATH (with the py4j zip the distribution ships) to your shell rc.

Spark 4 (--version 4.0.1, or --course 2026) runs on Java 17 or 21 only: dezc reuses an installed one (JAVA_HOME, java on PATH, or --java PATH) and stops with a clear error naming what it found when there is none.

Downloads resume after an interruption and are cached. Re-running with everything in place changes nothing; another --version installs beside the old one and switches the block.`
  static examples = [
    '<%= config.bin %> spark install --yes',
    '<%= config.bin %> spark install --version 3.5.1 --java auto',
    '<%= config.bin %> spark install --version 4.0.1   # Spark 4 (Scala 2.13) on an installed Java 17/21',
    '<%= config.bin %> spark install --course 2026',
    '<%= config.bin %> spark install --dry-run',
    '<%= config.bin %> spark install --mirror https://dlcdn.apache.org --prefix ~/opt/spark --rc-file ~/.zshrc',
  ]

  static flags = installFlags

  async run(): Promise<InstallResult> {
    const [{installSpark}, {resolveSparkSettings, sparkConfigSchema}, {nodePlatform}, {cacheDir}, {renderInstall}] =
      await Promise.all([
        import('../../spark/service.js'),
        import('../../spark/settings.js'),
        import('../../spark/platform.js'),
        import('../../config/paths.js'),
        import('../../spark/render.js'),
      ])
    const config = await this.loadDezcConfig()
    const settings = resolveSparkSettings(
      this.flags,
      config.section('spark', sparkConfigSchema),
      process.env,
      config.raw('course'),
    )
    const result = await installSpark({
      ...settings,
      cacheDir: cacheDir(),
      dryRun: Boolean(this.flags['dry-run']),
      platform: nodePlatform(),
      ui: this.ui,
      signal: this.signal,
    })
    for (const line of renderInstall(result)) this.log(line)
    return result
  }
}
