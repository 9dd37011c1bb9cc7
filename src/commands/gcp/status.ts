import {DezcCommand} from '../../core/base-command.js'
import {ExitCode} from '../../core/errors.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpStatus extends DezcCommand<typeof GcpStatus> {
  static summary = 'Show what `gcp bootstrap` set up and what is missing: APIs, account, roles, local key.'
  static description = 'Read-only. Exits 5 when anything is missing or the local key is no longer valid.'
  static examples = ['<%= config.bin %> gcp status --project my-zoomcamp-123456', '<%= config.bin %> gcp status --json']
  static flags = {...gcpTargetFlags}

  async run(): Promise<unknown> {
    const f = this.flags
    const {openSession, splitList} = await import('../../gcp/session.js')
    const session = await openSession({
      flags: {project: f.project, saName: f['sa-name'], roles: splitList(f.roles), apis: splitList(f.apis), keyDir: f['key-dir'], apiRoot: f['api-root']},
      config: await this.loadDezcConfig(),
      ui: this.ui,
      signal: this.signal,
    })
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
