/**
 * `dezc spark doctor`: checks the environment the current shell gives Spark, the way Spark's own
 * scripts read it (JAVA_HOME else `java` on PATH; SPARK_HOME; PYTHONPATH), and a pip-installed
 * pyspark that a leftover SPARK_HOME would shadow. Each check: ok / warn / fail / skip, with a fix.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {javaHomeFromBinary, parseJavaVersion} from './java.js'
import {homeDir, isExecutable, type Platform} from './platform.js'
import {defaultRcFile, detectShell, findBlocks, readBlockValues, readRc} from './rc.js'
import {parseReleaseFile, parseSparkVersion, supportedJavaMajors, type SparkVersion} from './versions.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface Check {
  id: string
  title: string
  status: CheckStatus
  detail: string
  fix?: string
}

export interface DoctorResult {
  ok: boolean
  counts: Record<CheckStatus, number>
  sparkHome?: string
  sparkVersion?: string
  javaHome?: string
  javaVersion?: string
  checks: Check[]
}

export interface DoctorOptions {
  platform: Platform
  rcFile?: string
  /** Seconds allowed for `spark-submit --version` (a cold JVM can take a while). */
  submitTimeoutSec?: number
  /** Do not start a JVM (`dezc doctor` must answer within seconds; `dezc spark doctor` runs it). */
  skipSubmit?: boolean
  /** Where to look for uv's project `.venv` [default: the working directory]. */
  cwd?: string
}

const PY_PROBE = [
  'import importlib.util, importlib.metadata, json, os',
  's = importlib.util.find_spec("pyspark")',
  'out = {}',
  'if s is not None and s.origin:',
  '    out["location"] = os.path.dirname(s.origin)',
  '    try:',
  '        out["version"] = importlib.metadata.version("pyspark")',
  '    except Exception:',
  '        out["version"] = None',
  'print(json.dumps(out))',
].join('\n')

export async function sparkDoctor(o: DoctorOptions): Promise<DoctorResult> {
  const {platform} = o
  const env = platform.env
  const checks: Check[] = []
  const add = (c: Check) => checks.push(c)

  // --- the rc block vs this shell
  const shell = detectShell(env, o.rcFile)
  const rcFile = o.rcFile ?? defaultRcFile(shell.shell, homeDir(env), env)
  const blocks = findBlocks(await readRc(rcFile).catch(() => ''))
  const blockValues = blocks.length > 0 ? readBlockValues(blocks[0].text) : undefined
  if (!blockValues) {
    add({
      id: 'rc-block',
      title: 'dezc block in the shell rc',
      status: 'skip',
      detail: `no dezc block in ${rcFile}`,
      fix: 'Run `dezc spark install` to add one (not needed if you set the variables yourself).',
    })
  } else if (blocks.length > 1) {
    add({
      id: 'rc-block',
      title: 'dezc block in the shell rc',
      status: 'warn',
      detail: `${blocks.length} dezc blocks in ${rcFile}`,
      fix: 'Re-run `dezc spark install`: it keeps exactly one.',
    })
  } else if (env.SPARK_HOME !== blockValues.sparkHome || env.JAVA_HOME !== blockValues.javaHome) {
    add({
      id: 'rc-block',
      title: 'dezc block in the shell rc',
      status: 'warn',
      detail: `${rcFile} sets SPARK_HOME=${blockValues.sparkHome}, but this shell has SPARK_HOME=${env.SPARK_HOME || '(unset)'}`,
      fix: `Open a new terminal or run: source ${rcFile}`,
    })
  } else {
    add({
      id: 'rc-block',
      title: 'dezc block in the shell rc',
      status: 'ok',
      detail: `${rcFile} is loaded in this shell`,
    })
  }

  // --- Spark home and version
  const sparkHome = env.SPARK_HOME || undefined
  let sparkVersion: SparkVersion | undefined
  let sparkHomeOk = false
  if (sparkHome) {
    const submit = path.join(sparkHome, 'bin', 'spark-submit')
    if (await isExecutable(submit)) {
      sparkHomeOk = true
      const v = await sparkVersionOf(sparkHome)
      sparkVersion = v
      add({id: 'spark-home', title: 'SPARK_HOME', status: 'ok', detail: `${sparkHome}${v ? ` (Spark ${v.raw})` : ''}`})
    } else {
      add({
        id: 'spark-home',
        title: 'SPARK_HOME',
        status: 'fail',
        detail: `SPARK_HOME=${sparkHome} has no bin/spark-submit`,
        fix: 'Run `dezc spark install`, or point SPARK_HOME at an extracted Spark distribution.',
      })
    }
  }

  // --- pip pyspark and shadowing (checked early: it decides whether an unset SPARK_HOME is fine)
  // The interpreter PySpark would run: PYSPARK_PYTHON, else an active virtualenv, else uv's project
  // .venv (`uv add pyspark` installs there), else python3 on PATH; the first that has pyspark wins.
  const cwd = o.cwd ?? process.cwd()
  const candidates: string[] = []
  if (env.PYSPARK_PYTHON) candidates.push(env.PYSPARK_PYTHON)
  else {
    for (const venv of [env.VIRTUAL_ENV, path.join(cwd, '.venv')])
      if (venv && (await isExecutable(path.join(venv, 'bin', 'python'))))
        candidates.push(path.join(venv, 'bin', 'python'))
    const sys = (await platform.which('python3')) || (await platform.which('python'))
    if (sys) candidates.push(sys)
  }
  let python: string | undefined
  let pip: {location?: string; version?: string | null} | undefined
  let pythonProblem: string | undefined
  for (const candidate of [...new Set(candidates)]) {
    const pyEnv = {...env}
    delete pyEnv.PYTHONPATH
    const r = await platform.run(candidate, ['-c', PY_PROBE], {env: pyEnv, timeoutMs: 30_000})
    python ??= candidate
    if (r.code !== 0) {
      pythonProblem ??= `${candidate} failed: ${lastLines(r.stderr)}`
      continue
    }
    try {
      const found = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as typeof pip
      if (found?.location) {
        pip = found
        python = candidate
        pythonProblem = undefined
        break
      }
      pip ??= found
    } catch {
      pythonProblem ??= `${candidate} printed no result`
    }
  }
  if (pip) pythonProblem = undefined
  const pipWhere = python && python !== candidates[candidates.length - 1] ? ` (${python})` : ''
  if (!sparkHome) {
    add(
      pip?.location
        ? {
            id: 'spark-home',
            title: 'SPARK_HOME',
            status: 'ok',
            detail: `unset; pip-installed pyspark ${pip.version ?? ''} at ${pip.location} brings its own Spark`,
          }
        : {
            id: 'spark-home',
            title: 'SPARK_HOME',
            status: 'warn',
            detail: 'SPARK_HOME is not set',
            fix: 'Run `dezc spark install` (or source the rc file it wrote).',
          },
    )
  }

  // --- Java: the one Spark's scripts use (JAVA_HOME, else java on PATH)
  const javaHome = env.JAVA_HOME || undefined
  const javaOnPath = await platform.which('java')
  let javaBin: string | undefined
  if (javaHome) {
    const bin = path.join(javaHome, 'bin', 'java')
    if (await isExecutable(bin)) {
      javaBin = bin
      add({id: 'java-home', title: 'JAVA_HOME', status: 'ok', detail: javaHome})
    } else {
      add({
        id: 'java-home',
        title: 'JAVA_HOME',
        status: 'fail',
        detail: `JAVA_HOME=${javaHome} has no bin/java`,
        fix: 'Point JAVA_HOME at a JDK (the directory holding bin/java), or run `dezc spark install`.',
      })
    }
  } else if (javaOnPath) {
    javaBin = javaOnPath
    add({
      id: 'java-home',
      title: 'JAVA_HOME',
      status: 'warn',
      detail: `not set; Spark falls back to ${javaOnPath}`,
      fix: 'Set JAVA_HOME (`dezc spark install --java auto` writes it for the Java you have).',
    })
  } else {
    add({
      id: 'java-home',
      title: 'JAVA_HOME',
      status: 'fail',
      detail: 'JAVA_HOME is not set and there is no java on PATH',
      fix: 'Run `dezc spark install` (downloads OpenJDK 11), or install a JDK 11/17.',
    })
  }

  let javaVersion: string | undefined
  if (javaBin) {
    const r = await platform.run(javaBin, ['-version'], {timeoutMs: 30_000})
    const v = parseJavaVersion(`${r.stderr}\n${r.stdout}`)
    if (r.code !== 0 || !v) {
      add({
        id: 'java-version',
        title: 'Java version',
        status: 'fail',
        detail: `${javaBin} -version failed: ${lastLines(r.stderr)}`,
        fix: 'Reinstall the JDK, or run `dezc spark install`.',
      })
    } else {
      javaVersion = v.version
      // The Spark that will run: SPARK_HOME's, else the pip/uv pyspark's (which brings its own).
      const pipSpark = !sparkHome && pip?.version ? tryVersion(pip.version) : undefined
      const running = sparkVersion ?? pipSpark
      const supported = supportedJavaMajors(running ?? parseSparkVersion('3.3.2'))
      const forWhat = running ? `${pipSpark ? 'pyspark' : 'Spark'} ${running.raw}` : 'Spark 3.3 (the 2023 course)'
      add(
        supported.includes(v.major)
          ? {id: 'java-version', title: 'Java version', status: 'ok', detail: `Java ${v.version} suits ${forWhat}`}
          : {
              id: 'java-version',
              title: 'Java version',
              status: 'fail',
              detail: `Java ${v.version} is not supported by ${forWhat} (needs ${supported.join('/')})`,
              fix: `Install Java ${supported.includes(11) ? 11 : supported[0]} and point JAVA_HOME at it (\`dezc spark install\` does both).`,
            },
      )
    }
  }

  if (javaHome && javaOnPath && javaBin) {
    const same =
      (await samePath(javaOnPath, path.join(javaHome, 'bin', 'java'))) ||
      (await realOr(javaOnPath).then((p) => javaHomeFromBinary(p))) === (await realOr(javaHome))
    add(
      same
        ? {id: 'java-consistent', title: 'java on PATH matches JAVA_HOME', status: 'ok', detail: javaOnPath}
        : {
            id: 'java-consistent',
            title: 'java on PATH matches JAVA_HOME',
            status: 'warn',
            detail: `\`java\` on PATH is ${javaOnPath}, not ${javaHome}/bin/java`,
            fix: 'Put $JAVA_HOME/bin first on PATH (the dezc rc block does).',
          },
    )
  }

  // --- spark-submit on PATH and running it
  const submitOnPath = await platform.which('spark-submit')
  if (sparkHomeOk && submitOnPath && !(await samePath(submitOnPath, path.join(sparkHome!, 'bin', 'spark-submit')))) {
    add({
      id: 'spark-path',
      title: 'spark-submit on PATH matches SPARK_HOME',
      status: 'warn',
      detail: `spark-submit on PATH is ${submitOnPath}, not ${sparkHome}/bin/spark-submit`,
      fix: 'Put $SPARK_HOME/bin first on PATH (the dezc rc block does).',
    })
  }
  const submit = sparkHomeOk ? path.join(sparkHome!, 'bin', 'spark-submit') : submitOnPath
  if (o.skipSubmit) {
    add({
      id: 'spark-submit',
      title: 'spark-submit --version',
      status: 'skip',
      detail: 'not run here (a JVM start is slow): `dezc spark doctor` runs it',
    })
  } else if (!submit) {
    add({
      id: 'spark-submit',
      title: 'spark-submit --version',
      status: sparkHome ? 'fail' : 'skip',
      detail: 'no spark-submit to run',
      fix: 'Run `dezc spark install`.',
    })
  } else {
    const r = await platform.run(submit, ['--version'], {timeoutMs: (o.submitTimeoutSec ?? 120) * 1000})
    const out = `${r.stdout}\n${r.stderr}`
    const ver = /version\s+(\d+\.\d+\.\d+\S*)/.exec(out)?.[1]
    if (r.code === 0 && ver)
      add({id: 'spark-submit', title: 'spark-submit --version', status: 'ok', detail: `runs: Spark ${ver}`})
    else
      add({
        id: 'spark-submit',
        title: 'spark-submit --version',
        status: 'fail',
        detail: r.timedOut
          ? `${submit} --version did not finish in ${o.submitTimeoutSec ?? 120} s`
          : `${submit} --version failed (exit ${r.code}): ${lastLines(r.stderr || r.stdout)}`,
        fix: 'Check JAVA_HOME points at a supported JDK; re-run `dezc spark install` to repair the distribution.',
      })
  }

  // --- PYTHONPATH and py4j
  if (sparkHomeOk) {
    const entries = (env.PYTHONPATH ?? '').split(':').filter(Boolean)
    const py4j = entries.filter((e) => /py4j-.*-src\.zip$/.test(e))
    const missing: string[] = []
    for (const e of py4j) if (!(await exists(e))) missing.push(e)
    if (py4j.length === 0 || !entries.some((e) => path.resolve(e) === path.resolve(sparkHome!, 'python'))) {
      add(
        pip?.location
          ? {
              id: 'pythonpath',
              title: 'PYTHONPATH for PySpark',
              status: 'ok',
              detail: 'not set for SPARK_HOME; PySpark comes from pip',
            }
          : {
              id: 'pythonpath',
              title: 'PYTHONPATH for PySpark',
              status: 'warn',
              detail:
                'PYTHONPATH does not hold $SPARK_HOME/python and its py4j zip: `import pyspark` fails in plain python',
              fix: 'Run `dezc spark install` (its rc block sets PYTHONPATH).',
            },
      )
    } else if (missing.length > 0) {
      add({
        id: 'pythonpath',
        title: 'PYTHONPATH for PySpark',
        status: 'fail',
        detail: `PYTHONPATH names ${missing.join(', ')}, which does not exist ("No module named 'py4j'")`,
        fix: 'Re-run `dezc spark install`: it reads the py4j version from python/lib/.',
      })
    } else {
      add({
        id: 'pythonpath',
        title: 'PYTHONPATH for PySpark',
        status: 'ok',
        detail: py4j.map((p) => path.basename(p)).join(', '),
      })
    }
  }

  // --- leftover SPARK_HOME shadowing a pip pyspark
  if (!python || pythonProblem) {
    add({
      id: 'pyspark-shadow',
      title: 'pip pyspark vs SPARK_HOME',
      status: 'skip',
      detail: pythonProblem ?? 'no python3 on PATH',
    })
  } else if (!pip?.location) {
    add({id: 'pyspark-shadow', title: 'pip pyspark vs SPARK_HOME', status: 'ok', detail: 'no pip-installed pyspark'})
  } else if (sparkHome && sparkVersion && pip.version && !sameMinor(pip.version, sparkVersion.raw)) {
    add({
      id: 'pyspark-shadow',
      title: 'pip pyspark vs SPARK_HOME',
      status: 'fail',
      detail: `SPARK_HOME=${sparkHome} (Spark ${sparkVersion.raw}) shadows pip-installed pyspark ${pip.version} at ${pip.location}${pipWhere}: PySpark would load the old jars and fail`,
      fix: `Remove the old setup from your rc file (the "dezc spark" block) and \`unset SPARK_HOME\`, or install the matching version: dezc spark install --version ${pip.version}`,
    })
  } else {
    add({
      id: 'pyspark-shadow',
      title: 'pip pyspark vs SPARK_HOME',
      status: 'ok',
      detail: `pip pyspark ${pip.version ?? '?'}${sparkVersion ? ` matches Spark ${sparkVersion.raw}` : ''}`,
    })
  }

  const counts: Record<CheckStatus, number> = {ok: 0, warn: 0, fail: 0, skip: 0}
  for (const c of checks) counts[c.status]++
  return {ok: counts.fail === 0, counts, sparkHome, sparkVersion: sparkVersion?.raw, javaHome, javaVersion, checks}
}

/** Spark version of a distribution: RELEASE file, else the spark-core jar's name, else the directory name. */
export async function sparkVersionOf(sparkHome: string): Promise<SparkVersion | undefined> {
  const tryParse = (raw?: string) => {
    if (!raw) return undefined
    try {
      return parseSparkVersion(raw)
    } catch {
      return undefined
    }
  }
  const release = await fs.readFile(path.join(sparkHome, 'RELEASE'), 'utf8').catch(() => undefined)
  const fromRelease = tryParse(release ? parseReleaseFile(release) : undefined)
  if (fromRelease) return fromRelease
  const jars = await fs.readdir(path.join(sparkHome, 'jars')).catch(() => [] as string[])
  for (const j of jars) {
    const m = /^spark-core_[\d.]+-(\d+\.\d+\.\d+)\.jar$/.exec(j)
    if (m) return tryParse(m[1])
  }
  return tryParse(/spark-(\d+\.\d+\.\d+)/.exec(path.basename(sparkHome))?.[1])
}

function tryVersion(raw: string): SparkVersion | undefined {
  try {
    return parseSparkVersion(raw)
  } catch {
    return undefined
  }
}

function sameMinor(a: string, b: string): boolean {
  return a.split('.').slice(0, 2).join('.') === b.split('.').slice(0, 2).join('.')
}

async function realOr(p: string): Promise<string> {
  return fs.realpath(p).catch(() => p)
}

async function samePath(a: string, b: string): Promise<boolean> {
  return (await realOr(a)) === (await realOr(b))
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  )
}

function lastLines(s: string, n = 2): string {
  return s.trim().split('\n').slice(-n).join(' / ') || '(no output)'
}
