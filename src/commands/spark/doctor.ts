import {DezcCommand} from '../../core/base-command.js'
import {ExitCode} from '../../core/errors.js'
import type {DoctorResult} from '../../spark/doctor.js'
import {doctorFlags} from '../../spark/flags.js'

export default class SparkDoctor extends DezcCommand<typeof SparkDoctor> {
  static summary = 'Check the Spark setup of this shell: JAVA_HOME/SPARK_HOME, Java version, spark-submit, PySpark.'
  static description = `Checks what this shell gives Spark: JAVA_HOME and SPARK_HOME exist and agree with PATH, the Java version suits the Spark version, \`spark-submit --version\` runs, PYTHONPATH names the py4j zip that exists, and no leftover SPARK_HOME shadows a pip-installed pyspark of another version.

Each check prints ok, warn, fail or skip with a fix. Exits ${ExitCode.UNHEALTHY} when a check fails.`
  static examples = ['<%= config.bin %> spark doctor', '<%= config.bin %> spark doctor --json']

  static flags = doctorFlags

  async run(): Promise<DoctorResult> {
    const [{sparkDoctor}, {nodePlatform}, {resolveSparkSettings, sparkConfigSchema}, {renderDoctor}] =
      await Promise.all([
        import('../../spark/doctor.js'),
        import('../../spark/platform.js'),
        import('../../spark/settings.js'),
        import('../../spark/render.js'),
      ])
    // The same settings `spark install` used (flag > env > config spark.rcFile > default), so the
    // doctor looks for the dezc block where install wrote it.
    const config = await this.loadDezcConfig()
    const settings = resolveSparkSettings(
      {'rc-file': this.flags['rc-file']},
      config.section('spark', sparkConfigSchema),
    )
    const result = await sparkDoctor({platform: nodePlatform(), rcFile: settings.rcFile})
    for (const line of renderDoctor(result)) this.log(line)
    // A failing check is an unhealthy setup: non-zero exit, also under --json (the report stays on stdout).
    if (!result.ok) process.exitCode = ExitCode.UNHEALTHY
    return result
  }
}
