import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {UserAbortError} from '../../core/errors.js'
import {dryRunFlag, stackFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'
import type {DryRunResult} from '../../env/dry-run.js'
import type {EnvDownResult} from '../../env/down.js'

export default class EnvDown extends DezcCommand<typeof EnvDown> {
  static summary = 'Stop and remove the stack\'s containers and network; data is kept unless --volumes.'
  static examples = ['<%= config.bin %> env down', '<%= config.bin %> env down --stack demo --volumes --yes']
  static flags = {
    ...stackFlags,
    ...dryRunFlag,
    volumes: Flags.boolean({description: 'Also delete the data volumes (asks for confirmation unless --yes). Bind-mounted folders are never deleted.'}),
  }

  async run(): Promise<EnvDownResult | DryRunResult> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    if (this.flags['dry-run']) {
      const {planDown, renderDryRun} = await import('../../env/dry-run.js')
      const plan = await planDown(stack, this.flags.volumes, this.ui)
      this.log(renderDryRun(plan))
      return plan
    }
    const {envDown} = await import('../../env/down.js')
    const result = await envDown(stack, {
      volumes: this.flags.volumes,
      confirmVolumes: async (names) => {
        const ok = await this.ui.prompter.confirm({message: `Delete the data volumes ${names.join(', ')}? Every table in them is lost.`, flagHint: '--yes'})
        if (!ok) throw new UserAbortError('Kept everything: nothing was stopped or deleted.')
        return true
      },
    }, this.ui)
    this.log(result.containersRemoved.length > 0 ? `Removed ${result.containersRemoved.join(', ')}${result.networkRemoved ? ` and network ${result.networkRemoved}` : ''}.` : 'Nothing was running.')
    if (result.volumesRemoved.length > 0) this.log(`Deleted data volumes ${result.volumesRemoved.join(', ')}.`)
    if (result.dataKept.length > 0) this.log(`Data kept in ${result.dataKept.join(', ')}; \`dezc env up\` finds it again${this.flags.volumes ? '' : ' (delete it with --volumes)'}.`)
    return result
  }
}
