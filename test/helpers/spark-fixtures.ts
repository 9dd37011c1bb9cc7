/** A loopback Apache-archive + jdk.java.net mirror holding generated Spark 3.3.2 / 3.5.1 and JDK 11 archives. */
import {spawn} from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, expect} from 'vitest'
import {buildJdkArchive, buildSparkArchive, gpgFormat, sha512sumFormat, type BuiltArchive} from './spark-archives.js'
import {BIN, runCli, type CliResult} from './cli.js'
import {startFileServer, type FileServer} from './file-server.js'

/** Debian's openjdk-17-jre-headless (scripts/ensure-system-deps.sh), named after the Debian architecture. */
export const JAVA17_HOME = `/usr/lib/jvm/java-17-openjdk-${({x64: 'amd64', arm64: 'arm64'} as Record<string, string>)[process.arch] ?? process.arch}`

export interface SparkMirror {
  server: FileServer
  /** --mirror value (Apache archive layout, like https://archive.apache.org/dist). */
  mirror: string
  /** The same Spark tree served at the server's root: http://127.0.0.1:PORT. */
  rootMirror: string
  /** --jdk-mirror value. */
  jdkMirror: string
  spark332: BuiltArchive
  spark351: BuiltArchive
  jdk: BuiltArchive
  /** The macOS (Intel) bundle: jdk-11.0.2.jdk/Contents/Home. */
  jdkOsx: BuiltArchive
  sparkPath(version: string): string
  workDir: string
  close(): Promise<void>
}

export async function startSparkMirror(): Promise<SparkMirror> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-archives-'))
  const spark332 = await buildSparkArchive(workDir, {version: '3.3.2', py4j: '0.10.9.5'})
  const spark351 = await buildSparkArchive(workDir, {version: '3.5.1', py4j: '0.10.9.7', jarBytes: 200_000})
  const jdk = await buildJdkArchive(workDir)
  const jdkOsx = await buildJdkArchive(workDir, 'osx')
  const p = (v: string) => `/dist/spark/spark-${v}/spark-${v}-bin-hadoop3.tgz`
  const sparkFiles: Record<string, Buffer | string> = {
    [p('3.3.2')]: spark332.data,
    // Apache published 3.3.x checksums in GPG's multi-line upper-case format, 3.4+ in sha512sum format.
    [`${p('3.3.2')}.sha512`]: gpgFormat(spark332),
    [p('3.5.1')]: spark351.data,
    [`${p('3.5.1')}.sha512`]: sha512sumFormat(spark351),
    // Listed in the index but without a hadoop3 archive, like older releases.
    '/dist/spark/spark-3.2.4/spark-3.2.4-bin-hadoop3.2.tgz.asc': 'sig',
  }
  const server = await startFileServer({
    files: {
      ...sparkFiles,
      // The same tree at the root too, so `--mirror http://127.0.0.1:PORT` (the issue's own example) works.
      ...Object.fromEntries(Object.entries(sparkFiles).map(([k, v]) => [k.replace(/^\/dist/, ''), v])),
      '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz': jdk.data,
      '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz.sha256': jdk.sha256,
      '/java/GA/jdk11/9/GPL/openjdk-11.0.2_osx-x64_bin.tar.gz': jdkOsx.data,
      '/java/GA/jdk11/9/GPL/openjdk-11.0.2_osx-x64_bin.tar.gz.sha256': jdkOsx.sha256,
    },
  })
  return {
    server,
    mirror: `${server.url}/dist`,
    rootMirror: server.url,
    jdkMirror: `${server.url}/java/GA/jdk11/9/GPL`,
    spark332,
    spark351,
    jdk,
    jdkOsx,
    sparkPath: p,
    workDir,
    async close() {
      await server.close()
      await fs.rm(workDir, {recursive: true, force: true})
    },
  }
}

/** Tools the generated spark-submit stand-in and the tests' shells need, without java or python. */
const BASE_TOOLS = ['bash', 'sh', 'env', 'cat', 'head', 'dirname', 'ls']

/**
 * A private HOME with its own dezc config/cache/data dirs, SHELL=bash, and a PATH that is only
 * `$HOME/bin` holding a few basic tools, so no java, python or spark of the machine leaks in.
 * `addTool(name, target)` links more (e.g. Debian's java 17 or python3).
 */
export async function privateHome(): Promise<{
  home: string
  bin: string
  env: NodeJS.ProcessEnv
  addTool(name: string, target?: string): Promise<void>
  cleanup(): Promise<void>
}> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-home-'))
  const bin = path.join(home, 'bin')
  await fs.mkdir(bin)
  const addTool = async (name: string, target = `/usr/bin/${name}`) => fs.symlink(target, path.join(bin, name))
  for (const t of BASE_TOOLS) await addTool(t)
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    DEZC_CONFIG_DIR: path.join(home, '.config', 'dezc'),
    DEZC_CACHE_DIR: path.join(home, '.cache', 'dezc'),
    DEZC_DATA_DIR: path.join(home, '.local', 'share', 'dezc'),
    SHELL: '/bin/bash',
    JAVA_HOME: '',
    SPARK_HOME: '',
    PYTHONPATH: '',
    PATH: bin,
  }
  return {home, bin, env, addTool, cleanup: () => fs.rm(home, {recursive: true, force: true})}
}

/**
 * Run the built CLI as another user (e.g. nobody), so permission errors are real even when the
 * tests run as root (root ignores file modes). Needs root; returns code/stdout/stderr like runCli.
 */
export function runCliAsUser(
  args: string[],
  o: {uid: number; gid: number; env: NodeJS.ProcessEnv; timeoutMs?: number},
): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: o.env.HOME ?? '/',
      env: {PATH: process.env.PATH, NODE_ENV: 'production', CI: 'true', ...o.env},
      uid: o.uid,
      gid: o.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

export type PrivateHome = Awaited<ReturnType<typeof privateHome>>

/**
 * The hooks every Spark CLI test file needs: one loopback mirror per file, a fresh private HOME per
 * test, the mirror's request log cleared before each test. Read `t.m` and `t.h` inside tests.
 */
export function useSparkFixtures(): {readonly m: SparkMirror; readonly h: PrivateHome} {
  let m: SparkMirror | undefined
  let h: PrivateHome | undefined
  beforeAll(async () => {
    m = await startSparkMirror()
  })
  afterAll(async () => m?.close())
  beforeEach(async () => {
    h = await privateHome()
    m!.server.requests.length = 0
  })
  afterEach(async () => h?.cleanup())
  return {
    get m() {
      return m!
    },
    get h() {
      return h!
    },
  }
}

/** `spark doctor --json` checks by id. */
export const checksById = (json: any): Record<string, any> => Object.fromEntries(json.checks.map((c: any) => [c.id, c]))

/**
 * A `spark doctor --json` result after an install, in a shell that sourced the block: Spark 3.3.2 with
 * JAVA_HOME `javaHome`, every check ok, `spark-submit --version` ran and the Java matched `javaDetail`.
 */
export function expectDoctorAllOk(json: any, javaHome: string, javaDetail: RegExp): void {
  expect(json).toMatchObject({ok: true, sparkVersion: '3.3.2', javaHome})
  const c = checksById(json)
  for (const id of [
    'rc-block',
    'spark-home',
    'java-home',
    'java-version',
    'java-consistent',
    'spark-submit',
    'pythonpath',
    'pyspark-shadow',
  ])
    expect(c[id]?.status, id).toBe('ok')
  expect(c['spark-submit'].detail).toBe('runs: Spark 3.3.2')
  expect(c['java-version'].detail).toMatch(javaDetail)
}

/** `dezc spark install --yes --json` from a loopback mirror (Apache + jdk.java.net layouts at `url`), into `prefix`. */
export function installFromMirror(
  url: string,
  o: {prefix: string; rc: string; env: NodeJS.ProcessEnv; args: string[]},
): Promise<CliResult> {
  return runCli(
    ['spark', 'install', '--mirror', `${url}/dist`, '--jdk-mirror', `${url}/java/GA/jdk11/9/GPL`].concat(
      ['--prefix', o.prefix, '--rc-file', o.rc, '--yes', '--json'],
      o.args,
    ),
    {env: o.env, timeoutMs: 240_000},
  )
}

// The course's counting job: a local SparkSession reads the parquet file and counts its rows (in the
// JVM, driven from Python over py4j), then a Python lambda runs in a Python worker (PYSPARK_PYTHON).
export const COUNT_JOB = `import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("dezc-count").config("spark.ui.enabled", "false").getOrCreate()
df = spark.read.parquet(sys.argv[1])
n = df.count()
positive = df.rdd.map(lambda r: r["PULocationID"] > 0).filter(bool).count()
print("COUNT %d positive=%d spark=%s python=%d.%d" % (n, positive, spark.version, sys.version_info[0], sys.version_info[1]))
spark.stop()
`

/**
 * A job slow enough to be caught running: F's rows spread over N partitions (argv[2]), each
 * partition counted by a Python function that then sleeps argv[3] seconds on the executor.
 * Prints `SLOWCOUNT <rows> partitions=<N>`.
 */
export const SLOW_COUNT_JOB = `import sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("dezc-slow-count").config("spark.ui.enabled", "false").getOrCreate()
parts, delay = int(sys.argv[2]), float(sys.argv[3])
def slow(rows):
    n = sum(1 for _ in rows)
    time.sleep(delay)
    yield n
rdd = spark.read.parquet(sys.argv[1]).rdd.repartition(parts)
n = sum(rdd.mapPartitions(slow).collect())
print("SLOWCOUNT %d partitions=%d" % (n, rdd.getNumPartitions()))
spark.stop()
`

/**
 * The cluster tests' driver: the real Spark 4.0.1 repack (scripts/ensure-real-spark.sh) extracted
 * to a temp folder, and the environment `dezc spark submit` runs it in (Debian's Java 17, python3).
 * The installer itself is tested in real-spark4.test.ts.
 */
export async function realSpark4Driver(): Promise<{sparkHome: string; env: NodeJS.ProcessEnv}> {
  const {execFileSync} = await import('node:child_process')
  const {makeTempDir} = await import('./tmp.js')
  const cache = process.env.DEZC_TEST_REAL_SPARK_DIR ?? '/var/cache/dezc-test/real-spark'
  const dir = makeTempDir('dezc-spark-driver-')
  execFileSync('tar', ['-xzf', path.join(cache, 'spark-4.0.1-bin-hadoop3.tgz'), '-C', dir])
  const sparkHome = path.join(dir, 'spark-4.0.1-bin-hadoop3')
  return {
    sparkHome,
    env: {JAVA_HOME: JAVA17_HOME, SPARK_HOME: sparkHome, PYSPARK_PYTHON: '/usr/bin/python3', PYTHONPATH: ''},
  }
}

/** Fail early, with the command that makes them, when the locally built test images are missing. */
export async function requireTestImages(images: string[]): Promise<void> {
  const {docker} = await import('./docker.js')
  for (const image of images)
    await docker
      .getImage(image)
      .inspect()
      .catch(() => {
        throw new Error(`No ${image} image: run bash scripts/ensure-real-spark.sh && bash scripts/build-test-images.sh`)
      })
}
