import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import type {InstallResult} from '../../spark/install.js'

export default class SparkInstall extends DezcCommand<typeof SparkInstall> {
  static summary = 'Install a JDK and Spark (default 3.3.2) under ~/spark and add one env block to your shell rc.'
  static description = `What the course's Spark module does by hand: download OpenJDK 11 (or reuse an installed Java with --java auto; Homebrew's openjdk@11 on macOS) and the Apache Spark distribution, verify the published checksums, extract under --prefix, and write one marked block exporting JAVA_HOME, SPARK_HOME, PATH and PYTHONPATH (with the py4j zip the distribution ships) to your shell rc.

Downloads resume after an interruption and are cached. Re-running with everything in place changes nothing; another --version installs beside the old one and switches the block.`
  static examples = [
    '<%= config.bin %> spark install --yes',
    '<%= config.bin %> spark install --version 3.5.1 --java auto',
    '<%= config.bin %> spark install --dry-run',
    '<%= config.bin %> spark install --mirror https://dlcdn.apache.org --prefix ~/opt/spark --rc-file ~/.zshrc',
  ]

  static flags = {
    ...dryRunFlag,
    version: Flags.string({description: 'Spark release to install [default: 3.3.2].', env: 'DEZC_SPARK_VERSION', aliases: ['spark-version']}),
    mirror: Flags.string({description: 'Base URL of an Apache archive mirror (holds spark/spark-<v>/spark-<v>-bin-hadoop3.tgz and .sha512) [default: https://archive.apache.org/dist].', env: 'DEZC_SPARK_MIRROR'}),
    'jdk-mirror': Flags.string({description: 'Base URL holding openjdk-11.0.2_<os>-x64_bin.tar.gz and its .sha256 [default: https://download.java.net/java/GA/jdk11/9/GPL].', env: 'DEZC_SPARK_JDK_MIRROR'}),
    java: Flags.string({description: 'Which Java: 11 (download OpenJDK 11), auto (reuse an installed Java that suits this Spark, else 11), or a JAVA_HOME path [default: 11].', env: 'DEZC_SPARK_JAVA'}),
    prefix: Flags.string({description: 'Directory the JDK and Spark are extracted into [default: ~/spark].', env: 'DEZC_SPARK_PREFIX'}),
    'rc-file': Flags.string({description: 'Shell rc file that gets the env block [default: from $SHELL: ~/.bashrc, ~/.zshrc or ~/.config/fish/config.fish].', env: 'DEZC_SPARK_RC_FILE'}),
    shell: Flags.string({description: 'Syntax of the rc block (default: from --rc-file or $SHELL).', options: ['bash', 'zsh', 'fish']}),
  }

  async run(): Promise<InstallResult> {
    const [{installSpark}, {resolveSparkSettings, sparkConfigSchema}, {nodePlatform}, {cacheDir}] = await Promise.all([
      import('../../spark/install.js'),
      import('../../spark/settings.js'),
      import('../../spark/platform.js'),
      import('../../config/paths.js'),
    ])
    const config = await this.loadDezcConfig()
    const settings = resolveSparkSettings(this.flags, config.section('spark', sparkConfigSchema))
    const result = await installSpark({
      ...settings,
      cacheDir: cacheDir(),
      dryRun: Boolean(this.flags['dry-run']),
      platform: nodePlatform(),
      ui: this.ui,
      signal: this.signal,
    })
    this.render(result)
    return result
  }

  private render(r: InstallResult): void {
    const java = `Java ${r.java.version ?? r.java.major} (${r.java.source}) at ${r.javaHome}`
    if (r.dryRun) {
      this.log(`Dry run: nothing was changed. Spark ${r.version} -> ${r.sparkHome}; ${java}; rc: ${r.rcFile} (${r.shell}).`)
      this.log('Would:')
      for (const a of r.actions) this.log(`  - ${a}`)
      this.log('\nEquivalent manual commands:')
      for (const c of r.commands ?? []) this.log(c)
      return
    }
    if (!r.changed) {
      this.log(`Everything is already in place: Spark ${r.version} at ${r.sparkHome}, ${java}, block in ${r.rcFile}. Nothing changed.`)
      return
    }
    this.log(`Installed Spark ${r.version} at ${r.sparkHome} (py4j ${r.py4j}); ${java}.`)
    for (const a of r.actions) this.log(`  - ${a}`)
    this.log(`Open a new terminal, or run: source ${r.rcFile}`)
    this.log('Then check it with: dezc spark doctor')
  }
}
