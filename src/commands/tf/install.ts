import {DezcCommand} from '../../core/base-command.js'
import {installFlags} from '../../tf/flags.js'
import {resolveInstallSettings, tfConfigSchema} from '../../tf/settings.js'

export default class TfInstall extends DezcCommand<typeof TfInstall> {
  static summary = 'Install terraform: the official release for this OS/arch, checked against its SHA256SUMS.'
  static description = `Downloads <mirror>/<version>/terraform_<version>_<os>_<arch>.zip (cached; an interrupted download resumes), verifies it against terraform_<version>_SHA256SUMS, and puts the terraform binary into --bin-dir (default ~/.local/bin). A checksum mismatch deletes the download and installs nothing. Re-running with the same version installed changes nothing.`
  static examples = [
    '<%= config.bin %> tf install',
    '<%= config.bin %> tf install --version 1.9.8 --bin-dir ~/bin',
    '<%= config.bin %> tf install --mirror https://mirror.example.com/terraform',
  ]
  static flags = installFlags

  async run(): Promise<import('../../tf/install.js').InstallResult> {
    const f = this.flags
    const config = (await this.loadDezcConfig()).section('tf', tfConfigSchema) ?? {}
    const settings = resolveInstallSettings(
      {version: f.version, mirror: f.mirror, binDir: f['bin-dir']},
      process.env,
      config,
    )
    const [{installTerraform}, {renderInstall}] = await Promise.all([
      import('../../tf/install.js'),
      import('../../tf/render.js'),
    ])
    const r = await installTerraform({
      settings,
      force: Boolean(f.force),
      dryRun: Boolean(f['dry-run']),
      ui: this.ui,
      env: process.env,
      signal: this.signal,
    })
    for (const line of renderInstall(r)) this.log(line)
    return r
  }
}
