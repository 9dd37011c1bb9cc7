/** Base for `dezc dbt *` commands: the project's settings (flags > env > config > init's marker), and the dbt pass-through. */
import type {Command} from '@oclif/core'
import {splitPassthrough} from '../core/argv.js'
import {DezcCommand} from '../core/base-command.js'
import type {DbtSettings} from './settings.js'
import type {DbtRunResult} from './service.js'

export {splitPassthrough}

export abstract class DbtCommand<T extends typeof Command> extends DezcCommand<T> {
  protected async dbtSettings(): Promise<DbtSettings> {
    const f = this.flags as Record<string, string | boolean | undefined>
    const [{resolveDbtDir, resolveDbtSettings, dbtConfigSchema}, {readProjectMeta}] = await Promise.all([
      import('./settings.js'),
      import('./service.js'),
    ])
    const config = await this.loadDezcConfig()
    const flags = f as Parameters<typeof resolveDbtSettings>[1]
    const meta = await readProjectMeta(resolveDbtDir(flags, config.section('dbt', dbtConfigSchema)))
    return resolveDbtSettings(config, flags, meta)
  }
}

/** `dezc dbt <command> [-- dbt args]`: the real dbt in the project, its output streamed, its exit code passed on. */
export abstract class DbtPassthrough<T extends typeof Command> extends DbtCommand<T> {
  static strict = false
  /** The dbt subcommand (words) this command runs. */
  static dbtCommand: string[] = []

  /** dbt's own flags (--select, --full-refresh, --target ...) need no `--`: what is not dezc's goes to dbt, in order. */
  public async init(): Promise<void> {
    const ctor = this.ctor as unknown as typeof DbtPassthrough
    const flags = {...ctor.baseFlags, ...ctor.flags} as Record<string, {type: string; char?: string}>
    this.argv = splitPassthrough(this.argv, flags)
    await super.init()
  }

  async run(): Promise<DbtRunResult> {
    // init() put dbt's part of the command line after `--`.
    const argv = this.argv.slice(this.argv.indexOf('--') + 1)
    const [words, {dbtRun}] = [(this.ctor as unknown as typeof DbtPassthrough).dbtCommand, await import('./service.js')]
    // Under --json stdout holds the envelope only: dbt's output goes to stderr.
    const out = this.jsonEnabled()
      ? {stdout: process.stderr, stderr: process.stderr}
      : {stdout: process.stdout, stderr: process.stderr}
    const result = await dbtRun({
      settings: await this.dbtSettings(),
      command: words[0],
      args: [...words.slice(1), ...argv],
      env: process.env,
      out,
      ui: this.ui,
      signal: this.signal,
    })
    process.exitCode = result.exitCode
    return result
  }
}
