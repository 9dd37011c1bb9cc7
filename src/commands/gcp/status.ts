import {ExitCode} from '../../core/errors.js'
import {GcpCommand} from '../../gcp/command.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpStatus extends GcpCommand<typeof GcpStatus> {
  static summary = 'Show what `gcp bootstrap` set up and what is missing: APIs, account, roles, local key.'
  static description = 'Read-only. Exits 5 when anything is missing or the local key is no longer valid.'
  static examples = ['<%= config.bin %> gcp status --project my-zoomcamp-123456', '<%= config.bin %> gcp status --json']
  static flags = {...gcpTargetFlags}

  async run(): Promise<unknown> {
    const session = await this.openGcpSession()
    const {inspect} = await import('../../gcp/service.js')
    const r = await inspect(session)
    const mark = (v: boolean | null) => (v === true ? 'ok     ' : v === false ? 'MISSING' : 'unknown')
    this.log(`Project ${r.project}, account ${r.serviceAccount}`)
    for (const a of r.apis) this.log(`  api      ${mark(a.enabled)} ${a.name}`)
    this.log(`  account  ${mark(r.account.exists)} ${r.serviceAccount}`)
    for (const x of r.roles) this.log(`  role     ${mark(x.granted)} ${x.role}`)
    this.log(`  key      ${r.key.state === 'valid' ? 'ok     ' : r.key.state === 'unknown' ? 'unknown' : 'MISSING'} ${r.key.file}${r.key.state !== 'valid' && r.key.state !== 'unknown' ? ` (${r.key.reason ?? r.key.state})` : ''}`)
    for (const u of r.unknown) this.log(`  could not check ${u}`)
    if (!r.ok) {
      this.log(`\nSomething is missing: run \`dezc gcp bootstrap --project ${r.project}\`.`)
      process.exitCode = ExitCode.UNHEALTHY
    }
    return r
  }
}
