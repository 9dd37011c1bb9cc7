import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {dryRunFlag} from '../../core/flags.js'
import {stackFlags} from '../../env/flags.js'
import {stackFromFlags} from '../../env/settings.js'
import type {DryRunResult, EnvDownResult} from '../../env/service.js'

export default class EnvDown extends DezcCommand<typeof EnvDown> {
  static summary = "Stop and remove the stack's containers and network; data is kept unless --volumes."
  static examples = ['<%= config.bin %> env down', '<%= config.bin %> env down --stack demo --volumes --yes']
  static flags = {
    ...stackFlags,
    ...dryRunFlag,
    volumes: Flags.boolean({
      description:
        'Also delete the data volumes (asks for confirmation unless --yes). Bind-mounted folders are never deleted.',
    }),
  }

  async run(): Promise<EnvDownResult | DryRunResult> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const [svc, render] = await Promise.all([import('../../env/service.js'), import('../../env/render.js')])
    if (this.flags['dry-run']) {
      const plan = await svc.planDown(stack, this.flags.volumes, this.ui)
      this.log(render.renderDryRun(plan))
      return plan
    }
    const result = await svc.envDown(stack, {volumes: this.flags.volumes}, this.ui)
    for (const line of render.renderDown(result, this.flags.volumes)) this.log(line)
    return result
  }
}
