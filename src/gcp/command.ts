/** Base for `dezc gcp *` commands: the shared target flags turned into settings and an open session (lazy imports). */
import type {Command} from '@oclif/core'
import {DezcCommand} from '../core/base-command.js'
import type {GcpTargetFlagValues} from './flags.js'
import type {openSession} from './session.js'

export abstract class GcpCommand<T extends typeof Command> extends DezcCommand<T> {
  protected async openGcpSession(optionalAuth = false): ReturnType<typeof openSession> {
    const f = this.flags as GcpTargetFlagValues
    const [{resolveGcpSettings, splitList}, {openSession: open}] = await Promise.all([
      import('./settings.js'),
      import('./session.js'),
    ])
    const settings = await resolveGcpSettings({
      flags: {
        project: f.project,
        saName: f['sa-name'],
        roles: splitList(f.roles),
        apis: splitList(f.apis),
        keyDir: f['key-dir'],
        apiRoot: f['api-root'],
      },
      config: await this.loadDezcConfig(),
      prompter: this.ui.prompter,
    })
    return open(settings, {ui: this.ui, signal: this.signal, optionalAuth})
  }
}
