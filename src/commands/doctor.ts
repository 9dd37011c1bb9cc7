import {DezcCommand} from '../core/base-command.js'
import {ExitCode} from '../core/errors.js'
import {doctorFlags} from '../doctor/flags.js'
import type {DoctorResult} from '../doctor/service.js'
import {stackFromFlags} from '../env/settings.js'

export default class Doctor extends DezcCommand<typeof Doctor> {
  static summary = 'Check the whole setup and say what to fix: Docker, ports, images, disk, Postgres, Node.'
  static description = `Every check runs at once with a short timeout and answers ok, warn or fail with the fix in one line. Exits with ${ExitCode.UNHEALTHY} when a check fails (warnings do not fail).`
  static examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --host synology',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --only docker --only postgres',
  ]
  static flags = doctorFlags

  async run(): Promise<DoctorResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [{runDoctor}, {renderChecks}] = await Promise.all([
      import('../doctor/service.js'),
      import('../doctor/render.js'),
    ])
    const result = await runDoctor({
      stack,
      config,
      timeoutMs: this.flags.timeout * 1000,
      only: this.flags.only,
      signal: this.signal,
    })
    this.log(renderChecks(result.checks))
    if (!result.ok) process.exitCode = ExitCode.UNHEALTHY
    return result
  }
}
