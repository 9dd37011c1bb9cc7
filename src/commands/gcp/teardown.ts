import {Flags} from '@oclif/core'
import {dryRunFlag} from '../../core/flags.js'
import {GcpCommand} from '../../gcp/command.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpTeardown extends GcpCommand<typeof GcpTeardown> {
  static summary =
    'Undo `gcp bootstrap`: remove the role bindings and keys dezc added, the account it created, and the local key file.'
  static description =
    'Bindings, keys and accounts that dezc did not create are left alone. APIs stay enabled. Asks for confirmation (or pass --yes).'
  static examples = [
    '<%= config.bin %> gcp teardown --project my-zoomcamp-123456',
    '<%= config.bin %> gcp teardown --project my-zoomcamp-123456 --yes',
    '<%= config.bin %> gcp teardown --project my-zoomcamp-123456 --dry-run',
  ]
  static flags = {
    ...gcpTargetFlags,
    ...dryRunFlag,
    'delete-account': Flags.boolean({description: 'Delete the service account even when dezc did not create it.'}),
  }

  async run(): Promise<
    import('../../gcp/service.js').TeardownResult | import('../../gcp/service.js').TeardownPlanResult
  > {
    const f = this.flags
    const session = await this.openGcpSession()
    const [svc, render] = await Promise.all([import('../../gcp/service.js'), import('../../gcp/render.js')])
    const o = {deleteAccount: f['delete-account']}
    return this.planOrRun(Boolean(f['dry-run']), {
      plan: () => svc.teardownPlan(session, o),
      renderPlan: render.renderTeardownPlan,
      run: () => svc.teardown(session, o),
      render: render.renderTeardown,
    })
  }
}
