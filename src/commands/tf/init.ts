import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {credentialsFlag, dirFlag, valueFlags} from '../../tf/cli-flags.js'
import {buildTfContext, formatCommands} from '../../tf/command-support.js'

export default class TfInit extends DezcCommand<typeof TfInit> {
  static summary = 'Write the course\'s terraform (GCS bucket + BigQuery dataset) for your project, then run terraform init.'
  static description = `Writes main.tf and variables.tf (google provider pinned), terraform.tfvars filled from flags, environment and config, and a .gitignore into --dir. Names are checked before terraform sees them. Files you edited are never overwritten without --force. Without terraform on PATH the files are still written and you are told how to install it.`
  static examples = [
    '<%= config.bin %> tf init --project my-proj',
    '<%= config.bin %> tf init --dir infra --project my-proj --region europe-west6 --dataset ny_taxi',
    '<%= config.bin %> tf init --project my-proj --bucket my-proj-lake-2 --force',
  ]
  static flags = {
    ...dirFlag,
    ...valueFlags,
    ...credentialsFlag,
    force: Flags.boolean({description: 'Overwrite files you edited (a copy of each goes to <file>.bak).'}),
    'skip-terraform-init': Flags.boolean({description: 'Only write the files; do not run terraform init.'}),
    ...dryRunFlag,
  }

  async run(): Promise<Record<string, unknown>> {
    const f = this.flags
    const ctx = buildTfContext(await this.loadDezcConfig(), this.ui, this.signal, this.jsonEnabled())
    const {tfInit} = await import('../../tf/workflow.js')
    const r = await tfInit(ctx, {
      dir: f.dir,
      flags: {project: f.project, region: f.region, location: f.location, bucket: f.bucket, dataset: f.dataset, storageClass: f['storage-class'], credentials: f.credentials},
      force: Boolean(f.force),
      dryRun: Boolean(f['dry-run']),
      skipTerraformInit: Boolean(f['skip-terraform-init']),
    })
    const s = r.settings
    const verb = (a: string) => (r.dryRun ? {create: 'would create', update: 'would update', unchanged: 'unchanged', 'keep-edited': 'kept (edited by you)', 'overwrite-edited': 'would overwrite (edited; copy to .bak)'} : {create: 'created', update: 'updated', unchanged: 'unchanged', 'keep-edited': 'kept (edited by you; --force overwrites)', 'overwrite-edited': 'overwritten (your copy: .bak)'})[a as 'create']
    this.log(`${r.dryRun ? 'Dry run: ' : ''}terraform files in ${r.dir}`)
    for (const w of r.files) this.log(`  ${w.name.padEnd(18)} ${verb(w.action)}`)
    this.log('Values (terraform.tfvars):')
    const rows: Array<[string, string, string]> = [
      ['project', s.project, r.sources.project],
      ['region', s.region, r.sources.region],
      ['location', s.location, r.sources.location],
      ['bucket', s.bucket, r.sources.bucket],
      ['dataset', s.dataset, r.sources.dataset],
      ['storage class', s.storageClass, r.sources.storageClass],
      ['credentials', s.credentials, r.sources.credentials],
    ]
    const w = Math.max(...rows.map(([, v]) => v.length))
    for (const [k, v, src] of rows) this.log(`  ${k.padEnd(14)} ${v.padEnd(w)}  (${src})`)
    if (r.dryRun) for (const line of formatCommands(r.commands)) this.log(line)
    else if (r.terraformInit.ran) this.log(`terraform init done (terraform ${r.terraformInit.version}). Next: dezc tf plan${f.dir ? ` --dir ${f.dir}` : ''}`)
    else this.log(`terraform init not run: ${r.terraformInit.reason}`)
    return r as unknown as Record<string, unknown>
  }
}
