import {Args} from '@oclif/core'
import {splitPassthrough} from '../../core/argv.js'
import {DezcCommand} from '../../core/base-command.js'
import {usageError} from '../../core/errors.js'
import {submitFlags} from '../../spark/flags.js'
import type {SubmitResult} from '../../spark/submit.js'

export default class SparkSubmit extends DezcCommand<typeof SparkSubmit> {
  static summary =
    "Run a PySpark job with the real spark-submit and the environment it needs (its output and exit code are the job's)."
  static description = `Runs $SPARK_HOME/bin/spark-submit FILE.py [args] with JAVA_HOME, SPARK_HOME, PYTHONPATH ($SPARK_HOME/python and the py4j zip the distribution ships) and PYSPARK_PYTHON = PYSPARK_DRIVER_PYTHON (one interpreter, so driver and workers agree), taken from this shell, else from the block \`dezc spark install\` wrote (no new terminal needed), else from the install prefix.

Spark, Java and Python are checked before a JVM starts: a JAVA_HOME without a working java, or a Java this Spark does not run on, is a clear error naming it (not "Java gateway process exited").

dezc's own flags may stand anywhere; everything else is the job's (put the job's arguments after -- when one looks like a dezc flag). --master spark://HOST:7077 runs it on a cluster (\`dezc spark cluster up\` prints the URL).`
  static examples = [
    '<%= config.bin %> spark submit count.py data/yellow_tripdata_2021-01.parquet',
    '<%= config.bin %> spark submit count.py data/yellow.parquet --master spark://127.0.0.1:7077',
    '<%= config.bin %> spark submit job.py --dry-run',
    '<%= config.bin %> spark submit job.py --conf spark.sql.shuffle.partitions=4 -- --master-of-the-job x',
  ]

  static strict = false
  static args = {file: Args.string({description: 'The PySpark job (a .py file), then its arguments.'})}
  static flags = submitFlags

  /** The job's own flags need no `--`: what is not dezc's goes to the job, in order. */
  public async init(): Promise<void> {
    const flags = {...SparkSubmit.baseFlags, ...SparkSubmit.flags} as Record<string, {type: string; char?: string}>
    this.argv = splitPassthrough(this.argv, flags)
    await super.init()
  }

  async run(): Promise<SubmitResult> {
    const [file, ...args] = this.argv.slice(this.argv.indexOf('--') + 1)
    if (!file)
      throw usageError(
        'USAGE',
        'Missing the job: dezc spark submit FILE.py [args].',
        'Example: dezc spark submit count.py data.parquet',
      )
    // Before the job file every flag is dezc's (the job's own flags follow FILE.py).
    if (file.startsWith('-'))
      throw usageError(
        'USAGE',
        `Unknown flag ${file} (before the job file, so not the job's).`,
        'See dezc spark submit --help; the job and its arguments come after it: dezc spark submit [flags] FILE.py [args].',
      )
    const [{submitSpark}, {resolveSparkSettings, sparkConfigSchema}, {nodePlatform}, {renderSubmit}] =
      await Promise.all([
        import('../../spark/submit.js'),
        import('../../spark/settings.js'),
        import('../../spark/platform.js'),
        import('../../spark/render.js'),
      ])
    const config = await this.loadDezcConfig()
    const f = this.flags
    const settings = resolveSparkSettings(
      {version: f.version, prefix: f.prefix, 'rc-file': f['rc-file'], course: f.course},
      config.section('spark', sparkConfigSchema),
      process.env,
      config.raw('course'),
    )
    // Under --json stdout holds the envelope only: the job's output goes to stderr.
    const out = this.jsonEnabled()
      ? {stdout: process.stderr, stderr: process.stderr}
      : {stdout: process.stdout, stderr: process.stderr}
    const result = await submitSpark({
      settings,
      file,
      args,
      master: f.master,
      sparkHome: f['spark-home'],
      javaHome: f['java-home'],
      python: f.python,
      executorPython: f['executor-python'],
      conf: f.conf ?? [],
      driverMemory: f['driver-memory'],
      executorMemory: f['executor-memory'],
      dryRun: Boolean(f['dry-run']),
      platform: nodePlatform(),
      out,
      signal: this.signal,
    })
    // The plan is the dry run's output (stdout); after a run the summary goes to stderr, the job's stdout stays its own.
    for (const line of renderSubmit(result))
      if (result.dryRun) this.log(line)
      else this.ui.reporter.info(line)
    if (result.exitCode) process.exitCode = result.exitCode
    return result
  }
}
