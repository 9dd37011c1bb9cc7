import {Flags} from '@oclif/core'
import {DezcCommand} from '../core/base-command.js'
import {ExitCode} from '../core/errors.js'
import {stackFlags, stackOverrideFlags} from '../env/flags.js'
import type {DoctorResult} from '../doctor/run.js'
import {stackFromFlags} from '../env/settings.js'

export default class Doctor extends DezcCommand<typeof Doctor> {
  static summary = 'Check the whole setup and say what to fix: Docker, ports, images, disk, Postgres, Node.'
  static description = `Every check runs at once with a short timeout and answers ok, warn or fail with the fix in one line. Exits with ${ExitCode.UNHEALTHY} when a check fails (warnings do not fail).`
  static examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --host synology', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor --only docker --only postgres']
  static flags = {
    ...stackFlags,
    'pg-port': stackOverrideFlags['pg-port'],
    'pgadmin-port': stackOverrideFlags['pgadmin-port'],
    'no-pgadmin': stackOverrideFlags['no-pgadmin'],
    only: Flags.string({description: 'Run only the checks with this id or id prefix (e.g. docker, postgres, node, disk).', multiple: true}),
    timeout: Flags.integer({description: 'Seconds each check may take before it counts as failed.', default: 3, min: 1}),
  }

  async run(): Promise<DoctorResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [{runDoctor}, {renderChecks}] = await Promise.all([import('../doctor/run.js'), import('../doctor/check.js')])
    const result = await runDoctor({stack, config, timeoutMs: this.flags.timeout * 1000, only: this.flags.only, signal: this.signal})
    this.log(renderChecks(result.checks))
    if (!result.ok) process.exitCode = ExitCode.UNHEALTHY
    return result
  }
}
