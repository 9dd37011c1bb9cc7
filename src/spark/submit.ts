/**
 * `dezc spark submit FILE.py [args]`: the real `spark-submit` with the environment the course sets
 * by hand (JAVA_HOME, SPARK_HOME, PYTHONPATH with the py4j zip the distribution ships, PYSPARK_PYTHON
 * and PYSPARK_DRIVER_PYTHON on one interpreter), from this shell's variables, else the dezc block
 * `spark install` wrote, else the install prefix. Everything is checked before a JVM starts, so a
 * wrong JAVA_HOME is a typed error naming it, not "Java gateway process exited".
 */
import os from 'node:os'
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {shellQuote} from '../core/shell.js'
import {sparkVersionOf} from './doctor.js'
import {javaHomeFromBinary, probeJava} from './java.js'
import {homeDir, isExecutable, type Platform} from './platform.js'
import {defaultRcFile, detectShell, findBlocks, readBlockValues, readRc} from './rc.js'
import {findPy4j} from './service.js'
import type {SparkSettings} from './settings.js'
import {sparkDistName, parseSparkVersion, supportedJavaMajors} from './versions.js'

export interface SubmitOptions {
  settings: SparkSettings
  file: string
  args: string[]
  /** --master [default: local[*]]. */
  master?: string
  sparkHome?: string
  javaHome?: string
  python?: string
  /** Python the executors run on a spark:// cluster (its workers' interpreter) [default: python3]. */
  executorPython?: string
  conf: string[]
  driverMemory?: string
  executorMemory?: string
  dryRun: boolean
  platform: Platform
  /** Where spark-submit's output goes (stderr for both under --json). */
  out?: {stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream}
  signal?: AbortSignal
}

export interface SubmitPlan {
  sparkHome: string
  sparkVersion?: string
  javaHome: string
  javaVersion: string
  python: string
  master: string
  /** Where each came from: flag, env, rc block, prefix, PATH. */
  sources: {sparkHome: string; javaHome: string; python: string}
  env: Record<string, string>
  command: string[]
  /** The same as one shell line (--dry-run). */
  shell: string
}

export interface SubmitResult extends SubmitPlan {
  dryRun: boolean
  exitCode?: number
  seconds?: number
}

export const DEFAULT_MASTER = 'local[*]'

/** What would run, checked (Spark home, Java, Python exist and suit each other); starts no JVM but `java -version`. */
export async function planSubmit(o: SubmitOptions): Promise<SubmitPlan> {
  const {platform} = o
  const env = platform.env
  const rcFile = o.settings.rcFile ?? defaultRcFile(detectShell(env).shell, homeDir(env), env)
  const blocks = findBlocks(await readRc(rcFile).catch(() => ''))
  const block = blocks.length > 0 ? readBlockValues(blocks[0].text) : {}

  // SPARK_HOME: --spark-home > $SPARK_HOME > the dezc block > <prefix>/spark-<version>-bin-hadoop3.
  const installed = path.join(o.settings.prefix, sparkDistNameOr(o.settings.version))
  const sparkCandidates: Array<[string | undefined, string]> = [
    [o.sparkHome, '--spark-home'],
    [env.SPARK_HOME || undefined, 'SPARK_HOME'],
    [block.sparkHome, `the dezc block in ${rcFile}`],
    [installed, 'the install prefix'],
  ]
  const [sparkHome, sparkSource] = sparkCandidates.find(([p]) => p !== undefined) as [string, string]
  if (!(await isExecutable(path.join(sparkHome, 'bin', 'spark-submit'))))
    throw new DezcError({
      code: 'SPARK_NOT_INSTALLED',
      message: `No Spark at ${sparkHome} (from ${sparkSource}): it has no bin/spark-submit.`,
      suggestion: [
        `Run \`dezc spark install\` (${o.settings.version} into ${o.settings.prefix}), or pass --spark-home DIR.`,
      ],
      exit: ExitCode.PREREQUISITE,
    })
  const version = await sparkVersionOf(sparkHome)
  const py4j = await findPy4j(sparkHome)
  if (!py4j)
    throw new DezcError({
      code: 'ARCHIVE_LAYOUT',
      message: `${sparkHome}/python/lib holds no py4j-*-src.zip: PySpark cannot start ("No module named 'py4j'").`,
      suggestion: 'Re-run `dezc spark install` to repair the distribution.',
    })

  // JAVA_HOME: --java-home > $JAVA_HOME > the dezc block > java on PATH.
  let javaHome = o.javaHome ?? (env.JAVA_HOME || undefined) ?? block.javaHome
  let javaSource = o.javaHome
    ? '--java-home'
    : env.JAVA_HOME
      ? 'JAVA_HOME'
      : block.javaHome
        ? `the dezc block in ${rcFile}`
        : ''
  if (!javaHome) {
    const onPath = await platform.which('java')
    if (onPath) {
      const fs = await import('node:fs/promises')
      javaHome = javaHomeFromBinary(await fs.realpath(onPath).catch(() => onPath))
      javaSource = `java on PATH (${onPath})`
    }
  }
  if (!javaHome)
    throw new DezcError({
      code: 'JAVA_NOT_FOUND',
      message: 'No Java for Spark: JAVA_HOME is not set, there is no dezc block, and no java on PATH.',
      suggestion: ['Run `dezc spark install` (it writes JAVA_HOME), or set JAVA_HOME / pass --java-home DIR.'],
      exit: ExitCode.PREREQUISITE,
    })
  const needs = supportedJavaMajors(version ?? parseSparkVersion('3.3.2'))
  const java = await probeJava(platform, javaHome, 'JAVA_HOME')
  if (!java)
    throw jvmError(javaHome, javaSource, version?.raw, needs, `${javaHome}/bin/java is missing or does not run`)
  if (!needs.includes(java.major))
    throw new DezcError({
      code: 'JAVA_UNSUPPORTED',
      message: `Java ${java.version} at ${javaHome} (from ${javaSource}) does not run Spark ${version?.raw ?? ''} (it needs Java ${needs.join('/')}).`,
      suggestion: [
        `Point JAVA_HOME (or --java-home) at a Java ${needs.join('/')}; \`dezc spark install --java auto\` picks one.`,
      ],
      exit: ExitCode.PREREQUISITE,
      details: {javaHome, javaVersion: java.version, spark: version?.raw, needs},
    })

  // One interpreter for the driver and the Python workers (their versions must match).
  const pyFlag = o.python ?? (env.PYSPARK_PYTHON || undefined)
  const python = pyFlag ?? (await platform.which('python3'))
  const pySource = o.python ? '--python' : env.PYSPARK_PYTHON ? 'PYSPARK_PYTHON' : 'python3 on PATH'
  const pythonPath = python && (python.includes('/') ? python : await platform.which(python))
  if (!pythonPath || !(await isExecutable(pythonPath)))
    throw new DezcError({
      code: 'SPARK_PYTHON_NOT_FOUND',
      message: python
        ? `The Python for PySpark (${python}, from ${pySource}) is not an executable.`
        : 'No python3 on PATH for PySpark.',
      suggestion: 'Install Python 3 or pass --python PATH (the interpreter the driver and the workers run).',
      exit: ExitCode.PREREQUISITE,
    })

  const master = o.master ?? DEFAULT_MASTER
  const onCluster = master.startsWith('spark://')
  const submit = path.join(sparkHome, 'bin', 'spark-submit')
  const sparkArgs = ['--master', master]
  if (o.driverMemory) sparkArgs.push('--driver-memory', o.driverMemory)
  if (o.executorMemory) sparkArgs.push('--executor-memory', o.executorMemory)
  // On a cluster the executors run the workers' Python (a path on this machine does not exist there).
  if (onCluster) sparkArgs.push('--conf', `spark.pyspark.python=${o.executorPython ?? 'python3'}`)
  // The executors (in containers, or on another machine) connect back to this driver: it listens on
  // every interface and advertises an address they can reach, not the loopback one.
  const given = (key: string) => o.conf.some((c) => c.startsWith(`${key}=`))
  if (onCluster && !given('spark.driver.host')) {
    const ip = reachableAddress()
    if (ip) sparkArgs.push('--conf', `spark.driver.host=${ip}`)
  }
  if (onCluster && !given('spark.driver.bindAddress')) sparkArgs.push('--conf', 'spark.driver.bindAddress=0.0.0.0')
  for (const c of o.conf) sparkArgs.push('--conf', c)
  const command = [submit, ...sparkArgs, o.file, ...o.args]
  const existing = env.PYTHONPATH ? `:${env.PYTHONPATH}` : ''
  const jobEnv: Record<string, string> = {
    JAVA_HOME: javaHome,
    SPARK_HOME: sparkHome,
    PYTHONPATH: `${path.join(sparkHome, 'python')}:${path.join(sparkHome, 'python', 'lib', py4j)}${existing}`,
    PYSPARK_PYTHON: pythonPath,
    PYSPARK_DRIVER_PYTHON: pythonPath,
    PATH: `${path.join(javaHome, 'bin')}:${path.join(sparkHome, 'bin')}:${env.PATH ?? ''}`,
  }
  const shell = [
    ...Object.entries(jobEnv).map(([k, v]) => `${k}=${shellQuote(v)}`),
    ...command.map((a) => shellQuote(a)),
  ].join(' ')
  return {
    sparkHome,
    sparkVersion: version?.raw,
    javaHome,
    javaVersion: java.version,
    python: pythonPath,
    master,
    sources: {sparkHome: sparkSource, javaHome: javaSource, python: pySource},
    env: jobEnv,
    command,
    shell,
  }
}

/** Run the plan: spark-submit's output streamed, its exit code passed on; a JVM that did not start is explained. */
export async function submitSpark(o: SubmitOptions): Promise<SubmitResult> {
  const plan = await planSubmit(o)
  if (o.dryRun) return {...plan, dryRun: true}
  const {runProcess} = await import('../core/process.js')
  let tail = ''
  const started = Date.now()
  const r = await runProcess(plan.command[0], plan.command.slice(1), {
    env: {...o.platform.env, ...plan.env},
    signal: o.signal,
    buffer: false,
    onOutput: (text, stream) => {
      if (stream === 'stderr') tail = (tail + text).slice(-20_000)
      const to = o.out ? (stream === 'stdout' ? o.out.stdout : o.out.stderr) : undefined
      to?.write(text)
    },
  })
  if (r.spawnError)
    throw new DezcError({
      code: 'SPARK_NOT_INSTALLED',
      message: `Could not run ${plan.command[0]}: ${r.spawnError.message}`,
      suggestion: 'Re-run `dezc spark install` to repair the distribution.',
      exit: ExitCode.PREREQUISITE,
      cause: r.spawnError,
    })
  if (r.code !== 0 && JVM_START_FAILED.test(tail)) {
    const v = plan.sparkVersion ? parseSparkVersion(plan.sparkVersion) : undefined
    throw jvmError(
      plan.javaHome,
      plan.sources.javaHome,
      plan.sparkVersion,
      supportedJavaMajors(v ?? parseSparkVersion('3.3.2')),
      lastLine(tail.split('\n').find((l) => JVM_START_FAILED.test(l)) ?? tail),
      `Java ${plan.javaVersion}`,
    )
  }
  // Killed by a signal: 130 after Ctrl-C, 128 + n otherwise (as a shell reports it), never a plain 1.
  const signalled = r.signal ? 128 + (os.constants.signals[r.signal as NodeJS.Signals] ?? 0) : 1
  const exitCode = r.code ?? (o.signal?.aborted ? 130 : signalled)
  return {...plan, dryRun: false, exitCode, seconds: (Date.now() - started) / 1000}
}

/** What spark-submit / PySpark print when the JVM itself did not come up. */
const JVM_START_FAILED =
  /Java gateway process exited|JAVA_HOME is not set|bin\/java: (No such file|Permission denied)|Could not create the Java Virtual Machine|UnsupportedClassVersionError|Error: A JNI error has occurred/

function jvmError(
  javaHome: string,
  source: string,
  spark: string | undefined,
  needs: number[],
  why: string,
  which?: string,
): DezcError {
  return new DezcError({
    code: 'SPARK_JVM_FAILED',
    message: `The JVM for Spark${spark ? ` ${spark}` : ''} could not start: ${why}. ${which ?? 'Java'} at JAVA_HOME=${javaHome} (from ${source}).`,
    suggestion: [
      `Point JAVA_HOME (or --java-home) at a JDK ${needs.join('/')} (the directory holding bin/java); \`dezc spark install --java auto\` writes one to your rc.`,
      'Check it with: dezc spark doctor',
    ],
    exit: ExitCode.PREREQUISITE,
    details: {javaHome, javaHomeFrom: source, spark, needs},
  })
}

/** This machine's first external IPv4 address (a LAN one before Docker's bridges). */
export function reachableAddress(interfaces = os.networkInterfaces()): string | undefined {
  const all = Object.entries(interfaces).flatMap(([name, list]) =>
    (list ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => ({name, address: a.address})),
  )
  const bridge = (n: string) => /^(docker|br-|veth|virbr)/.test(n)
  return (all.find((a) => !bridge(a.name)) ?? all[0])?.address
}

function sparkDistNameOr(version: string): string {
  try {
    return sparkDistName(parseSparkVersion(version))
  } catch {
    return `spark-${version}-bin-hadoop3`
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop()?.trim() ?? ''
}
