import {Flags} from '@oclif/core'
import {UserAbortError} from '../../core/errors.js'
import {dryRunFlag} from '../../core/flags.js'
import {GcpCommand} from '../../gcp/command.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpTeardown extends GcpCommand<typeof GcpTeardown> {
  static summary = 'Undo `gcp bootstrap`: remove the role bindings and keys dezc added, the account it created, and the local key file.'
  static description = 'Bindings, keys and accounts that dezc did not create are left alone. APIs stay enabled. Asks for confirmation (or pass --yes).'
  static examples = ['<%= config.bin %> gcp teardown --project my-zoomcamp-123456', '<%= config.bin %> gcp teardown --project my-zoomcamp-123456 --yes', '<%= config.bin %> gcp teardown --project my-zoomcamp-123456 --dry-run']
  static flags = {
    ...gcpTargetFlags,
    ...dryRunFlag,
    'delete-account': Flags.boolean({description: 'Delete the service account even when dezc did not create it.'}),
  }

  async run(): Promise<unknown> {
    const f = this.flags
    const session = await this.openGcpSession()
    if (f['dry-run']) {
      const {planTeardown} = await import('../../gcp/service.js')
      const plan = await planTeardown(session, {deleteAccount: f['delete-account']})
      this.log(`Teardown plan for ${session.target.email} in ${session.target.project} (dry run: nothing is changed)`)
      for (const p of plan) this.log(`  ${p.step.padEnd(8)} ${p.action === 'none' ? 'nothing ' : 'remove  '} ${p.detail}`)
      const cmds = plan.flatMap((p) => p.gcloud)
      this.log(cmds.length > 0 ? '\nEquivalent gcloud commands:' : '\nNothing to remove.')
      for (const c of cmds) this.log(`  ${c}`)
      return {dryRun: true, project: session.target.project, serviceAccount: session.target.email, plan}
    }
    const ok = await this.ui.prompter.confirm({
      message: `Remove ${session.target.email}'s keys and the role bindings dezc added in ${session.target.project}, the account if dezc created it, and ${session.target.keyFile}?`,
      default: false,
    })
    if (!ok) throw new UserAbortError('Teardown cancelled; nothing was changed.')
    const {teardown} = await import('../../gcp/service.js')
    const r = await teardown(session, {deleteAccount: f['delete-account']})
    for (const s of r.steps) this.log(`${s.step.padEnd(8)} ${s.outcome}: ${s.detail}`)
    return r
  }
}
