/**
 * The shared shape of `dezc tf plan|apply|destroy` (command layer only: imports oclif). Each
 * command sets `action` plus its help texts; parsing, the service call and rendering live here.
 */
import {DezcCommand} from '../core/base-command.js'
import {runFlags} from './flags.js'
import {buildTfContext} from './command-support.js'
import type {TfAction} from './plan.js'

export abstract class TfRunCommand extends DezcCommand<typeof TfRunCommand> {
  static flags = runFlags
  protected abstract readonly action: TfAction

  async run(): Promise<import('./service.js').RunTfResult> {
    const ctx = buildTfContext(await this.loadDezcConfig(), this.ui, this.signal, this.jsonEnabled())
    const [{tfRun}, {formatRunResult}] = await Promise.all([import('./service.js'), import('./render.js')])
    const r = await tfRun(ctx, this.action, {
      dir: this.flags.dir,
      credentials: this.flags.credentials,
      yes: Boolean(this.flags.yes),
      dryRun: Boolean(this.flags['dry-run']),
    })
    for (const line of formatRunResult(r)) this.log(line)
    return r
  }
}
