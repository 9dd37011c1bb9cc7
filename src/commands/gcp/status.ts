import {ExitCode} from '../../core/errors.js'
import {GcpCommand} from '../../gcp/command.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpStatus extends GcpCommand<typeof GcpStatus> {
  static summary = 'Show what `gcp bootstrap` set up and what is missing: APIs, account, roles, local key.'
  static description = 'Read-only. Exits 5 when anything is missing or the local key is no longer valid.'
  static examples = ['<%= config.bin %> gcp status --project my-zoomcamp-123456', '<%= config.bin %> gcp status --json']
  static flags = {...gcpTargetFlags}

  async run(): Promise<import('../../gcp/plan.js').StatusReport> {
    const session = await this.openGcpSession()
    const [{inspect}, {renderStatus}] = await Promise.all([
      import('../../gcp/service.js'),
      import('../../gcp/render.js'),
    ])
    const r = await inspect(session)
    this.logLines(renderStatus(r))
    if (!r.ok) process.exitCode = ExitCode.UNHEALTHY
    return r
  }
}
