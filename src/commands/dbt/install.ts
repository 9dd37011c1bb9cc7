import {DbtCommand} from '../../dbt/command.js'
import {installFlags} from '../../dbt/flags.js'

export default class DbtInstall extends DbtCommand<typeof DbtInstall> {
  static summary =
    "Install dbt-core and the target's adapter (pinned) into the project's .venv with uv, unless a suitable dbt is already there."
  static description = `Looks for a dbt first (--dbt, the project's .venv/bin/dbt, dbt on PATH): one that is dbt-core >=1.10,<2 with the target's adapter is reused and nothing is installed.
Otherwise runs \`uv venv .venv\` (once) and \`uv pip install\` of the pinned dbt-core and adapter (for duckdb also the DuckDB engine dezc itself uses), then checks \`dbt --version\` and prints the versions.
Later \`dezc dbt <command>\` runs in the project use that .venv.`
  static examples = [
    '<%= config.bin %> dbt install',
    '<%= config.bin %> dbt install --target duckdb --dry-run',
    '<%= config.bin %> dbt install --force --python python3.12 --json',
  ]
  static flags = installFlags

  async run(): Promise<import('../../dbt/install.js').DbtInstallResult> {
    const [{installDbt}, {renderInstall}] = await Promise.all([
      import('../../dbt/install.js'),
      import('../../dbt/render.js'),
    ])
    const result = await installDbt({
      settings: await this.dbtSettings(),
      uv: this.flags.uv,
      python: this.flags.python,
      force: this.flags.force,
      dryRun: this.flags['dry-run'],
      env: process.env,
      ui: this.ui,
      signal: this.signal,
    })
    for (const line of renderInstall(result)) this.log(line)
    return result
  }
}
