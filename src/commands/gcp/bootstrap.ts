import {Flags} from '@oclif/core'
import {dryRunFlag} from '../../core/flags.js'
import {GcpCommand} from '../../gcp/command.js'
import {gcpTargetFlags} from '../../gcp/flags.js'

export default class GcpBootstrap extends GcpCommand<typeof GcpBootstrap> {
  static summary = "Set up the course's GCP service account in one re-runnable command: APIs, account, roles, key."
  static description = [
    'Enables the APIs, creates (or finds) the service account, grants it the project roles and writes one JSON key (mode 0600) into --key-dir, then prints the `export GOOGLE_APPLICATION_CREDENTIALS=...` line.',
    'Every step reads first and changes only what is missing: re-running on a finished project changes nothing and creates no new key.',
    'Credentials: GOOGLE_OAUTH_ACCESS_TOKEN, else Application Default Credentials (`gcloud auth application-default login`).',
  ].join('\n\n')
  static examples = [
    '<%= config.bin %> gcp bootstrap --project my-zoomcamp-123456',
    '<%= config.bin %> gcp bootstrap --project my-zoomcamp-123456 --dry-run',
    '<%= config.bin %> gcp bootstrap --write-env .env --roles roles/storage.admin,roles/bigquery.admin',
  ]
  static flags = {
    ...gcpTargetFlags,
    ...dryRunFlag,
    'prune-keys': Flags.boolean({
      description:
        'At the 10-key limit, delete the keys dezc created earlier for this account that no local file uses.',
    }),
    'write-env': Flags.string({
      description:
        'Also write the export line into this file (replacing an earlier GOOGLE_APPLICATION_CREDENTIALS line).',
    }),
  }

  async run(): Promise<
    import('../../gcp/service.js').BootstrapResult | import('../../gcp/service.js').BootstrapPlanResult
  > {
    const f = this.flags
    const dry = Boolean(f['dry-run'])
    const session = await this.openGcpSession(dry)
    const [svc, render] = await Promise.all([import('../../gcp/service.js'), import('../../gcp/render.js')])
    const o = {writeEnv: f['write-env'], pruneKeys: f['prune-keys']}
    return this.planOrRun(dry, {
      plan: () => svc.bootstrapPlan(session, o),
      renderPlan: render.renderBootstrapPlan,
      run: () => svc.bootstrap(session, o),
      render: render.renderBootstrap,
    })
  }
}
