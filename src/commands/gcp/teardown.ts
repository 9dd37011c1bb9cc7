import {Flags} from '@oclif/core'
import {UserAbortError} from '../../core/errors.js'
import {GcpCommand} from '../../gcp/command.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpTeardown extends GcpCommand<typeof GcpTeardown> {
  static summary = 'Undo `gcp bootstrap`: remove the role bindings and keys dezc added, the account it created, and the local key file.'
  static description = 'Bindings, keys and accounts that dezc did not create are left alone. APIs stay enabled. Asks for confirmation (or pass --yes).'
  static examples = ['<%= config.bin %> gcp teardown --project my-zoomcamp-123456', '<%= config.bin %> gcp teardown --project my-zoomcamp-123456 --yes']
  static flags = {
    ...gcpTargetFlags,
    'delete-account': Flags.boolean({description: 'Delete the service account even when dezc did not create it.'}),
  }

  async run(): Promise<unknown> {
    const f = this.flags
    const session = await this.openGcpSession()
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
