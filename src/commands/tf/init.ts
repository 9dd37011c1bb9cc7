import {DezcCommand} from '../../core/base-command.js'
import {buildTfContext} from '../../tf/command-support.js'
import {initFlags} from '../../tf/flags.js'

export default class TfInit extends DezcCommand<typeof TfInit> {
  static summary =
    "Write the course's terraform (GCS bucket + BigQuery dataset) for your project, then run terraform init."
  static description = `Writes main.tf and variables.tf (google provider pinned), terraform.tfvars filled from flags, environment and config, and a .gitignore into --dir. Names are checked before terraform sees them. Files you edited are never overwritten without --force. Without terraform on PATH the files are still written and you are told how to install it.`
  static examples = [
    '<%= config.bin %> tf init --project my-proj',
    '<%= config.bin %> tf init --dir infra --project my-proj --region europe-west6 --dataset ny_taxi',
    '<%= config.bin %> tf init --project my-proj --bucket my-proj-lake-2 --force',
  ]
  static flags = initFlags

  async run(): Promise<import('../../tf/service.js').InitResult> {
    const f = this.flags
    const ctx = buildTfContext(await this.loadDezcConfig(), this.ui, this.signal, this.jsonEnabled())
    const [{tfInit}, {renderInit}] = await Promise.all([import('../../tf/service.js'), import('../../tf/render.js')])
    const r = await tfInit(ctx, {
      dir: f.dir,
      flags: {
        project: f.project,
        region: f.region,
        location: f.location,
        bucket: f.bucket,
        dataset: f.dataset,
        storageClass: f['storage-class'],
        credentials: f.credentials,
      },
      force: Boolean(f.force),
      dryRun: Boolean(f['dry-run']),
      skipTerraformInit: Boolean(f['skip-terraform-init']),
    })
    for (const line of renderInit(r, f.dir)) this.log(line)
    return r
  }
}
