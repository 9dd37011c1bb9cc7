import {DbtCommand} from '../../dbt/command.js'
import {doctorFlags} from '../../dbt/flags.js'
import {ExitCode} from '../../core/errors.js'

export default class DbtDoctor extends DbtCommand<typeof DbtDoctor> {
  static summary =
    "Check dbt: installed, a supported version, the target's adapter, the project, and that the profile connects (dbt debug)."
  static description = `Each check prints ok, warn, fail or skip with a fix. Exits ${ExitCode.UNHEALTHY} when a check fails.`
  static examples = ['<%= config.bin %> dbt doctor', '<%= config.bin %> dbt doctor --dir taxi_rides_ny --json']
  static flags = doctorFlags

  async run(): Promise<import('../../dbt/service.js').DbtDoctorResult> {
    const [{dbtDoctor}, {renderDoctor}] = await Promise.all([
      import('../../dbt/service.js'),
      import('../../dbt/render.js'),
    ])
    const result = await dbtDoctor({settings: await this.dbtSettings(), env: process.env, signal: this.signal})
    for (const line of renderDoctor(result)) this.log(line)
    if (!result.ok) process.exitCode = ExitCode.UNHEALTHY
    return result
  }
}
