import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {tfConfigSchema} from '../../tf/settings.js'

export default class TfInstall extends DezcCommand<typeof TfInstall> {
  static summary = 'Install terraform: the official release for this OS/arch, checked against its SHA256SUMS.'
  static description = `Downloads <mirror>/<version>/terraform_<version>_<os>_<arch>.zip (cached; an interrupted download resumes), verifies it against terraform_<version>_SHA256SUMS, and puts the terraform binary into --bin-dir (default ~/.local/bin). A checksum mismatch deletes the download and installs nothing. Re-running with the same version installed changes nothing.`
  static examples = ['<%= config.bin %> tf install', '<%= config.bin %> tf install --version 1.9.8 --bin-dir ~/bin', '<%= config.bin %> tf install --mirror https://mirror.example.com/terraform']
  static flags = {
    version: Flags.string({description: 'terraform version, or "latest" (default 1.11.4; env DEZC_TF_VERSION; config tf.version).'}),
    mirror: Flags.string({description: 'Release mirror base URL (default https://releases.hashicorp.com/terraform; env DEZC_TF_MIRROR; config tf.mirror).'}),
    'bin-dir': Flags.string({description: 'Where to put the binary (default ~/.local/bin; env DEZC_TF_BIN_DIR; config tf.binDir).'}),
    force: Flags.boolean({description: 'Reinstall even when this version is already there.'}),
    ...dryRunFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const f = this.flags
    const config = (await this.loadDezcConfig()).section('tf', tfConfigSchema) ?? {}
    const {installTerraform} = await import('../../tf/install.js')
    const r = await installTerraform({version: f.version, mirror: f.mirror, binDir: f['bin-dir'], force: Boolean(f.force), dryRun: Boolean(f['dry-run']), ui: this.ui, env: process.env, config, signal: this.signal})
    if (r.action === 'dry-run') {
      this.log(`Dry run: would download ${r.url}`)
      this.log(`  verify it against ${r.sumsUrl}`)
      this.log(`  and install ${r.path}`)
    } else if (r.action === 'unchanged') this.log(`terraform ${r.version} is already installed at ${r.path}.`)
    else this.log(`Installed terraform ${r.version} (${r.os}_${r.arch}) at ${r.path} (sha256 ${r.sha256} verified${r.fromCache ? ', from the download cache' : ''}).`)
    if (r.shadowedBy) this.log(`Note: ${r.shadowedBy} comes first on PATH and shadows it; put ${r.path.replace(/\/[^/]+$/, '')} earlier in PATH or remove the other one.`)
    if (r.pathHint) {
      this.log(`${r.path.replace(/\/[^/]+$/, '')} is not on your PATH. Add it:`)
      for (const l of r.pathHint) this.log(`  ${l}`)
    }
    return r as unknown as Record<string, unknown>
  }
}
