// A real Spark 4.0.1 (Scala 2.13), installed by `dezc spark install --version 4.0.1` from a loopback
// mirror and run on Debian's real OpenJDK 17: `spark-submit --version`, then `dezc spark submit` of a
// local[*] PySpark job counting a parquet file's rows (written by DuckDB with the TLC schema, as for
// the ingest tests). The archive is a repack (scripts/ensure-real-spark.sh): Spark's own jars and
// scripts from PyPI's `pyspark==4.0.1` in Apache's tarball layout, with a .sha512 of the repack.
import {spawnSync} from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {startFileServer, type FileServer} from '../../helpers/file-server.js'
import {COUNT_JOB, JAVA17_HOME, installFromMirror, privateHome, type PrivateHome} from '../../helpers/spark-fixtures.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

const CACHE = process.env.DEZC_TEST_REAL_SPARK_DIR ?? '/var/cache/dezc-test/real-spark'
const SPARK_TGZ = 'spark-4.0.1-bin-hadoop3.tgz'
const SPARK_PATH = `/dist/spark/spark-4.0.1/${SPARK_TGZ}`
const ROWS = 1237

let server: FileServer
let parquet: string
let h: PrivateHome
let rc: string
let prefix: string
const sparkHome = () => path.join(prefix, 'spark-4.0.1-bin-hadoop3')

function install(extra: string[], env: NodeJS.ProcessEnv = {}) {
  return installFromMirror(server.url, {prefix, rc, env: {...h.env, ...env}, args: extra})
}

describe.skipIf(process.arch !== 'x64')('real Spark 4.0.1 (repacked) on real Java 17, from a loopback mirror', () => {
  beforeAll(async () => {
    if (!(await fs.stat(path.join(CACHE, `${SPARK_TGZ}.sha512`)).catch(() => undefined)))
      throw new Error(`No real Spark 4 archive in ${CACHE}: run bash scripts/ensure-real-spark.sh first`)
    server = await startFileServer({
      files: {[`${SPARK_PATH}.sha512`]: await fs.readFile(path.join(CACHE, `${SPARK_TGZ}.sha512`))},
    })
    server.set(SPARK_PATH, {file: path.join(CACHE, SPARK_TGZ)})
    parquet = path.join(makeTempDir('dezc-real-spark4-'), 'yellow_tripdata_2021-01.parquet')
    await writeTripParquet(parquet, 'yellow', '2021-01', ROWS)
    // One HOME for the file: the install is 414 MB, done once; each test uses it.
    h = await privateHome()
    for (const tool of ['python3', 'ps', 'rm', 'uname']) await h.addTool(tool)
    rc = path.join(h.home, '.bashrc')
    prefix = path.join(h.home, 'spark')
  }, 120_000)
  afterAll(async () => {
    await server?.close()
    await h?.cleanup()
  })

  it('Java 17/21 is required and checked before any download: --java 11 and no Java at all are typed errors', async () => {
    const j11 = await install(['--version', '4.0.1', '--java', '11'])
    expect(j11.code, j11.stderr).toBe(2)
    expect(j11.json().error).toMatchObject({code: 'JAVA_UNSUPPORTED'})
    expect(j11.json().error.message).toMatch(/Spark 4\.0\.1 does not run on Java 11 \(it needs 17\/21\)/)
    // The private PATH has no java and JAVA_HOME is empty: the default for Spark 4 (auto) finds none.
    const none = await install(['--course', '2026'])
    expect(none.code, none.stderr).toBe(4)
    expect(none.json().error).toMatchObject({code: 'JAVA_NOT_FOUND'})
    expect(none.json().error.message).toBe('Spark 4.0.1 needs Java 17/21; no Java was found (JAVA_HOME, java on PATH).')
    expect(server.requests.filter((q) => q.path === SPARK_PATH)).toEqual([])
  })

  it('--course 2026 installs Spark 4.0.1 (Scala 2.13, py4j 0.10.9.9) on the Java 17 of JAVA_HOME; spark-submit --version runs', async () => {
    const r = await install(['--course', '2026'], {JAVA_HOME: JAVA17_HOME})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({
      changed: true,
      version: '4.0.1',
      sparkHome: sparkHome(),
      javaHome: JAVA17_HOME,
      java: {source: 'JAVA_HOME', major: 17},
      py4j: '0.10.9.9',
    })
    const v = spawnSync('/usr/bin/bash', ['-c', `source "${rc}"; spark-submit --version`], {
      cwd: h.home,
      env: {...h.env},
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(v.status, v.stderr).toBe(0)
    expect(v.stderr).toMatch(/version 4\.0\.1/)
    expect(v.stderr).toMatch(/Using Scala version 2\.13\.\d+, OpenJDK 64-Bit Server VM, 17\.0\.\d+/)
  }, 400_000)

  it('dezc spark submit runs a local[*] job from the rc block alone (no new shell): the parquet row count is right', async () => {
    await fs.writeFile(path.join(h.home, 'count.py'), COUNT_JOB)
    const r = await runCli(
      ['spark', 'submit', 'count.py', parquet, '--rc-file', rc, '--conf', 'spark.sql.shuffle.partitions=2'],
      {
        env: {...h.env, SPARK_LOCAL_IP: '127.0.0.1'},
        cwd: h.home,
        timeoutMs: 240_000,
      },
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^COUNT ${ROWS} positive=${ROWS} spark=4\\.0\\.1 python=3\\.\\d+$`, 'm'))
    expect(r.stderr).toMatch(
      /spark-submit finished in [\d.]+ s \(Spark 4\.0\.1 at .* \(the dezc block in .*\), Java 17\.0\.\d+ at/,
    )

    // --json: the envelope on stdout, the job's output on stderr; the environment it ran with.
    const j = await runCli(['spark', 'submit', '--dry-run', '--json', 'count.py', parquet, '--rc-file', rc], {
      env: {...h.env},
      cwd: h.home,
    })
    expect(j.code, j.stderr).toBe(0)
    const python3 = path.join(h.bin, 'python3')
    expect(j.json()).toMatchObject({
      dryRun: true,
      master: 'local[*]',
      sparkHome: sparkHome(),
      javaHome: JAVA17_HOME,
      python: python3,
      env: {
        JAVA_HOME: JAVA17_HOME,
        SPARK_HOME: sparkHome(),
        PYTHONPATH: `${sparkHome()}/python:${sparkHome()}/python/lib/py4j-0.10.9.9-src.zip`,
        PYSPARK_PYTHON: python3,
        PYSPARK_DRIVER_PYTHON: python3,
      },
      command: [`${sparkHome()}/bin/spark-submit`, '--master', 'local[*]', 'count.py', parquet],
    })
  }, 400_000)

  it('a bad JAVA_HOME is a typed error naming it, before any JVM; so is a Java that cannot run Spark 4', async () => {
    const bad = await runCli(['spark', 'submit', 'count.py', parquet, '--rc-file', rc, '--json'], {
      env: {...h.env, JAVA_HOME: '/opt/no-such-jdk'},
      cwd: h.home,
    })
    expect(bad.code, bad.stderr).toBe(4)
    expect(bad.json().error).toMatchObject({code: 'SPARK_JVM_FAILED'})
    expect(bad.json().error.message).toBe(
      'The JVM for Spark 4.0.1 could not start: /opt/no-such-jdk/bin/java is missing or does not run. Java at JAVA_HOME=/opt/no-such-jdk (from JAVA_HOME).',
    )
    // A JVM that starts but whose class files Spark 4 cannot run (a Java 11, version-checked first).
    const jdk11 = path.join(h.home, 'jdk-11')
    await fs.mkdir(path.join(jdk11, 'bin'), {recursive: true})
    await fs.writeFile(
      path.join(jdk11, 'bin', 'java'),
      '#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n',
      {mode: 0o755},
    )
    const old = await runCli(['spark', 'submit', 'count.py', '--rc-file', rc, '--java-home', jdk11], {
      env: {...h.env},
      cwd: h.home,
    })
    expect(old.code, old.stderr).toBe(4)
    expect(old.stderr).toMatch(
      new RegExp(
        `Java 11\\.0\\.2 at ${jdk11} \\(from --java-home\\) does not run Spark 4\\.0\\.1 \\(it needs Java 17/21\\)`,
      ),
    )
  })
})
