/**
 * bench/spark: `dezc spark install` vs the course's manual sequence, against the same loopback mirror
 * serving generated archives of about the real sizes (Spark 3.3.2 tgz ~285 MiB, OpenJDK 11.0.2 tgz
 * ~178 MiB; random bytes, so gzip cannot shrink them). Scenarios, each in a fresh HOME:
 *   cold     empty cache and prefix: dezc vs `wget && tar` (the course notes, no verification)
 *            vs `wget` + checksum file + `sha512sum`/`sha256sum` compare + `tar` (what dezc does)
 *   warm     archives cached, new prefix: dezc (verifies the cache, no download) vs `tar` of the two files
 *   no-op    everything in place: dezc re-run
 *   resume   Spark download cut at 50%, then re-run: bytes fetched again by dezc (Range) vs
 *            the course's plain `wget` (starts over, and saves `…tgz.1` beside the partial file)
 *   submit   (when ensure-real-spark.sh's real Spark 4.0.1 is cached) a tiny PySpark job, local[1]:
 *            `dezc spark submit` vs the bare `spark-submit` with the same environment set by hand,
 *            i.e. what dezc's resolution and checks (rc block, `java -version`, py4j) add to a job's startup
 * Usage: bench/spark [--runs N] [--spark-mib N] [--jdk-mib N] [--only install|submit]
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {startFileServer, type FileServer} from '../test/helpers/file-server.js'
import {buildJdkArchive, buildSparkArchive, gpgFormat} from '../test/helpers/spark-archives.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const runs = arg('--runs', 3)
const sparkMiB = arg('--spark-mib', 285)
const jdkMiB = arg('--jdk-mib', 178)
const MiB = 1024 * 1024
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const REAL_SPARK4 = path.join(
  process.env.DEZC_TEST_REAL_SPARK_DIR ?? '/var/cache/dezc-test/real-spark',
  'spark-4.0.1-bin-hadoop3.tgz',
)
const JAVA17 = '/usr/lib/jvm/java-17-openjdk-amd64'

const SPARK = '/dist/spark/spark-3.3.2/spark-3.3.2-bin-hadoop3.tgz'
const JDK = '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz'

/** Run a program without blocking the event loop (the mirror lives in this process). */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = root,
): Promise<{code: number | null; ms: number; stderr: string}> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(cmd, args, {cwd, env: {...process.env, ...env}, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, ms: Number(process.hrtime.bigint() - t0) / 1e6, stderr}))
  })
}

async function freshHome(): Promise<{home: string; env: NodeJS.ProcessEnv; done(): Promise<void>}> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-bench-spark-'))
  const env = {
    HOME: home,
    DEZC_CONFIG_DIR: `${home}/.config/dezc`,
    DEZC_CACHE_DIR: `${home}/.cache/dezc`,
    DEZC_DATA_DIR: `${home}/.local/share/dezc`,
    CI: 'true',
    NODE_ENV: 'production',
    JAVA_HOME: '',
    SHELL: '/bin/bash',
  }
  return {home, env, done: () => fs.rm(home, {recursive: true, force: true})}
}

function dezc(m: FileServer, home: string, env: NodeJS.ProcessEnv, prefix = `${home}/spark`) {
  return run(
    process.execPath,
    [
      path.join(root, 'bin/run.js'),
      'spark',
      'install',
      '--mirror',
      `${m.url}/dist`,
      '--jdk-mirror',
      `${m.url}/java/GA/jdk11/9/GPL`,
      '--prefix',
      prefix,
      '--rc-file',
      `${home}/.bashrc`,
      '--yes',
    ],
    env,
  )
}

const BLOCK = `cat >> ~/.bashrc <<'EOF'
export JAVA_HOME="$HOME/spark/jdk-11.0.2"
export PATH="$JAVA_HOME/bin:$PATH"
export SPARK_HOME="$HOME/spark/spark-3.3.2-bin-hadoop3"
export PATH="$SPARK_HOME/bin:$PATH"
export PYTHONPATH="$SPARK_HOME/python/:$PYTHONPATH"
export PYTHONPATH="$SPARK_HOME/python/lib/py4j-0.10.9.5-src.zip:$PYTHONPATH"
EOF`

/** The course notes, literally: cd ~/spark; wget; tar xzfv; rm; the same for Spark; append the exports. */
function manualCourse(base: string): string {
  return `set -e; mkdir -p ~/spark && cd ~/spark
wget -q ${base}${JDK} && tar xzf openjdk-11.0.2_linux-x64_bin.tar.gz && rm openjdk-11.0.2_linux-x64_bin.tar.gz
wget -q ${base}${SPARK} && tar xzf spark-3.3.2-bin-hadoop3.tgz && rm spark-3.3.2-bin-hadoop3.tgz
${BLOCK}`
}

/** The same plus what dezc adds: fetch the published checksums and compare before extracting. */
function manualVerified(base: string): string {
  return `set -e; mkdir -p ~/spark && cd ~/spark
wget -q ${base}${JDK} ${base}${JDK}.sha256
test "$(sha256sum openjdk-11.0.2_linux-x64_bin.tar.gz | cut -d' ' -f1)" = "$(cat openjdk-11.0.2_linux-x64_bin.tar.gz.sha256)"
tar xzf openjdk-11.0.2_linux-x64_bin.tar.gz
wget -q ${base}${SPARK} ${base}${SPARK}.sha512
test "$(sha512sum spark-3.3.2-bin-hadoop3.tgz | cut -d' ' -f1)" = "$(cut -d: -f2 spark-3.3.2-bin-hadoop3.tgz.sha512 | tr -d ' \\n' | tr A-F a-f)"
tar xzf spark-3.3.2-bin-hadoop3.tgz
${BLOCK}`
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function must(r: {code: number | null; stderr: string}, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`)
}

/** Bytes the mirror sent for these requests (full body for 200, the rest from the offset for 206). */
function bytesServed(m: FileServer, from: number, sizes: Map<string, number>): number {
  let n = 0
  for (const q of m.requests.slice(from)) {
    const size = sizes.get(q.path)
    if (size === undefined || q.method !== 'GET') continue
    if (q.status === 200) n += size
    if (q.status === 206) n += size - Number(/bytes=(\d+)-/.exec(q.range ?? '')?.[1] ?? 0)
  }
  return n
}

/** `dezc spark submit` vs bare spark-submit, same job, same Spark/Java/Python, alternating. */
async function benchSubmit(): Promise<void> {
  if (!(await fs.stat(REAL_SPARK4).catch(() => undefined))) {
    console.log(`submit: skipped (no ${REAL_SPARK4}: run scripts/ensure-real-spark.sh)`)
    return
  }
  const h = await freshHome()
  try {
    must(await run('tar', ['-xzf', REAL_SPARK4, '-C', h.home]), 'extract Spark 4.0.1')
    const sparkHome = path.join(h.home, 'spark-4.0.1-bin-hadoop3')
    const py4j = (await fs.readdir(path.join(sparkHome, 'python', 'lib'))).find((n) => n.startsWith('py4j-'))!
    const job = path.join(h.home, 'job.py')
    await fs.writeFile(
      job,
      'from pyspark.sql import SparkSession\ns = SparkSession.builder.getOrCreate()\nprint(s.range(1000).count())\ns.stop()\n',
    )
    const conf = ['--conf', 'spark.ui.enabled=false']
    const bareEnv = {
      JAVA_HOME: JAVA17,
      SPARK_HOME: sparkHome,
      PYTHONPATH: `${sparkHome}/python:${sparkHome}/python/lib/${py4j}`,
      PYSPARK_PYTHON: '/usr/bin/python3',
      PYSPARK_DRIVER_PYTHON: '/usr/bin/python3',
      SPARK_LOCAL_IP: '127.0.0.1',
    }
    const bare = () =>
      run(path.join(sparkHome, 'bin', 'spark-submit'), ['--master', 'local[1]', ...conf, job], {...h.env, ...bareEnv})
    const viaDezc = () =>
      run(
        process.execPath,
        [path.join(root, 'bin/run.js'), 'spark', 'submit', job, '--master', 'local[1]', ...conf].concat([
          '--spark-home',
          sparkHome,
          '--java-home',
          JAVA17,
          '--python',
          '/usr/bin/python3',
        ]),
        {...h.env, SPARK_LOCAL_IP: '127.0.0.1'},
      )
    const tb: number[] = []
    const td: number[] = []
    must(await bare(), 'warm-up spark-submit')
    for (let i = 0; i < runs; i++) {
      const b = await bare()
      must(b, 'spark-submit')
      tb.push(b.ms)
      const d = await viaDezc()
      must(d, 'dezc spark submit')
      td.push(d.ms)
    }
    const b = median(tb) / 1000
    const d = median(td) / 1000
    console.log(
      `submit bare spark-submit (env by hand)    ${b.toFixed(2)} s   (Spark 4.0.1, local[1], range(1000).count(), Java 17)`,
    )
    console.log(
      `submit dezc spark submit                  ${d.toFixed(2)} s   dezc/bare = ${(d / b).toFixed(2)} (${d >= b ? '+' : ''}${(d - b).toFixed(2)} s; load ${os.loadavg()[0].toFixed(1)})`,
    )
  } finally {
    await h.done()
  }
}

async function main(): Promise<void> {
  await fs.access(path.join(root, 'dist/commands/spark/install.js')).catch(() => {
    throw new Error('build first: npm run build')
  })
  if (only === 'submit') return benchSubmit()
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-bench-archives-'))
  process.stdout.write(`generating archives (Spark ${sparkMiB} MiB, JDK ${jdkMiB} MiB of random bytes)... `)
  const spark = await buildSparkArchive(work, {version: '3.3.2', py4j: '0.10.9.5', jarBytes: sparkMiB * MiB})
  const jdk = await buildJdkArchive(work, 'linux', jdkMiB * MiB)
  await fs.rm(work, {recursive: true, force: true})
  console.log(`done: ${(spark.data.length / MiB).toFixed(1)} MiB + ${(jdk.data.length / MiB).toFixed(1)} MiB`)
  const m = await startFileServer({
    files: {[SPARK]: spark.data, [`${SPARK}.sha512`]: gpgFormat(spark), [JDK]: jdk.data, [`${JDK}.sha256`]: jdk.sha256},
  })
  const sizes = new Map([
    [SPARK, spark.data.length],
    [JDK, jdk.data.length],
  ])
  const t: Record<string, number[]> = {
    dezcCold: [],
    course: [],
    verified: [],
    dezcWarm: [],
    tarOnly: [],
    noop: [],
    dezcResume: [],
    wgetResume: [],
  }
  const resumeBytes = {dezc: 0, wget: 0}
  try {
    for (let i = 0; i < runs; i++) {
      // cold
      for (const [key, go] of [
        ['dezcCold', (h: Awaited<ReturnType<typeof freshHome>>) => dezc(m, h.home, h.env)],
        ['course', (h: Awaited<ReturnType<typeof freshHome>>) => run('bash', ['-c', manualCourse(m.url)], h.env)],
        ['verified', (h: Awaited<ReturnType<typeof freshHome>>) => run('bash', ['-c', manualVerified(m.url)], h.env)],
      ] as const) {
        const h = await freshHome()
        const r = await go(h)
        must(r, key)
        t[key].push(r.ms)
        if (key === 'dezcCold') {
          // warm: cached archives, another prefix
          const w = await dezc(m, h.home, h.env, `${h.home}/spark2`)
          must(w, 'dezc warm')
          t.dezcWarm.push(w.ms)
          const tar = await run(
            'bash',
            [
              '-c',
              `set -e; mkdir -p ~/spark3 && cd ~/spark3 && tar xzf ~/.cache/dezc/jdk/${path.basename(JDK)} && tar xzf ~/.cache/dezc/spark/${path.basename(SPARK)}`,
            ],
            h.env,
          )
          must(tar, 'tar only')
          t.tarOnly.push(tar.ms)
          const n = await dezc(m, h.home, h.env, `${h.home}/spark2`)
          must(n, 'dezc no-op')
          t.noop.push(n.ms)
        }
        await h.done()
      }
      // resume: the Spark download is cut at 50%, then the same command again
      {
        const h = await freshHome()
        m.cutAfter(SPARK, Math.floor(spark.data.length / 2))
        const first = await dezc(m, h.home, h.env)
        if (first.code === 0) throw new Error('the cut did not interrupt dezc')
        const from = m.requests.length
        const again = await dezc(m, h.home, h.env)
        must(again, 'dezc resume')
        t.dezcResume.push(again.ms)
        resumeBytes.dezc = bytesServed(m, from, new Map([[SPARK, spark.data.length]]))
        await h.done()
      }
      {
        const h = await freshHome()
        await fs.mkdir(`${h.home}/spark`)
        m.cutAfter(SPARK, Math.floor(spark.data.length / 2))
        // wget retries by itself (with Range); --tries=1 makes the cut stick like a dropped connection would for a user who gives up.
        await run('wget', ['-q', '--tries=1', `${m.url}${SPARK}`], h.env, `${h.home}/spark`)
        const from = m.requests.length
        const again = await run(
          'bash',
          ['-c', `set -e; cd ~/spark && wget -q ${m.url}${SPARK} && tar xzf spark-3.3.2-bin-hadoop3.tgz.1`],
          h.env,
        )
        must(again, 'wget re-run')
        t.wgetResume.push(again.ms)
        resumeBytes.wget = bytesServed(m, from, sizes)
        await h.done()
      }
    }
  } finally {
    await m.close()
  }

  const s = (k: string) => (median(t[k]) / 1000).toFixed(2)
  const ratio = (a: string, b: string) => (median(t[a]) / median(t[b])).toFixed(2)
  console.log(
    `\nbench/spark: median of ${runs} run(s), loopback mirror, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`,
  )
  console.log(
    `cold   dezc spark install                 ${s('dezcCold')} s   (JDK + Spark downloaded, verified, extracted, rc block)`,
  )
  console.log(
    `cold   course notes: wget && tar          ${s('course')} s   dezc/course = ${ratio('dezcCold', 'course')}`,
  )
  console.log(
    `cold   wget + checksum compare + tar      ${s('verified')} s   dezc/verified = ${ratio('dezcCold', 'verified')}`,
  )
  console.log(
    `warm   dezc, archives cached, new prefix  ${s('dezcWarm')} s   (re-hashes the cache instead of downloading)`,
  )
  console.log(
    `warm   tar of the two archives only       ${s('tarOnly')} s   dezc/tar = ${ratio('dezcWarm', 'tarOnly')}`,
  )
  console.log(`no-op  dezc, everything in place          ${s('noop')} s`)
  console.log(
    `resume dezc re-run after a cut at 50%     ${s('dezcResume')} s, ${(resumeBytes.dezc / MiB).toFixed(1)} MiB fetched again`,
  )
  console.log(
    `resume course wget re-run                 ${s('wgetResume')} s, ${(resumeBytes.wget / MiB).toFixed(1)} MiB fetched again (saved as .tgz.1)`,
  )
  if (only !== 'install') await benchSubmit()
}

main().catch((error) => {
  console.error(`bench/spark: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
