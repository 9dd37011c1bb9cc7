/** A loopback Apache-archive + jdk.java.net mirror holding generated Spark 3.3.2 / 3.5.1 and JDK 11 archives. */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {buildJdkArchive, buildSparkArchive, gpgFormat, sha512sumFormat, type BuiltArchive} from './spark-archives.js'
import {startMirror, type MirrorServer} from './mirror-server.js'

export const JAVA17_HOME = '/usr/lib/jvm/java-17-openjdk-amd64'

export interface SparkMirror {
  server: MirrorServer
  /** --mirror value (Apache archive layout). */
  mirror: string
  /** --jdk-mirror value. */
  jdkMirror: string
  spark332: BuiltArchive
  spark351: BuiltArchive
  jdk: BuiltArchive
  sparkPath(version: string): string
  workDir: string
  close(): Promise<void>
}

export async function startSparkMirror(): Promise<SparkMirror> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-archives-'))
  const spark332 = await buildSparkArchive(workDir, {version: '3.3.2', py4j: '0.10.9.5'})
  const spark351 = await buildSparkArchive(workDir, {version: '3.5.1', py4j: '0.10.9.7', jarBytes: 200_000})
  const jdk = await buildJdkArchive(workDir)
  const p = (v: string) => `/dist/spark/spark-${v}/spark-${v}-bin-hadoop3.tgz`
  const server = await startMirror({
    [p('3.3.2')]: spark332.data,
    // Apache published 3.3.x checksums in GPG's multi-line upper-case format, 3.4+ in sha512sum format.
    [`${p('3.3.2')}.sha512`]: gpgFormat(spark332),
    [p('3.5.1')]: spark351.data,
    [`${p('3.5.1')}.sha512`]: sha512sumFormat(spark351),
    // Listed in the index but without a hadoop3 archive, like older releases.
    '/dist/spark/spark-3.2.4/spark-3.2.4-bin-hadoop3.2.tgz.asc': 'sig',
    '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz': jdk.data,
    '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz.sha256': jdk.sha256,
  })
  return {
    server,
    mirror: `${server.url}/dist`,
    jdkMirror: `${server.url}/java/GA/jdk11/9/GPL`,
    spark332,
    spark351,
    jdk,
    sparkPath: p,
    workDir,
    async close() {
      await server.close()
      await fs.rm(workDir, {recursive: true, force: true})
    },
  }
}

/** A private HOME with its own dezc config/cache/data dirs, for one test. */
export async function privateHome(): Promise<{home: string; env: NodeJS.ProcessEnv; cleanup(): Promise<void>}> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-home-'))
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    DEZC_CONFIG_DIR: path.join(home, '.config', 'dezc'),
    DEZC_CACHE_DIR: path.join(home, '.cache', 'dezc'),
    DEZC_DATA_DIR: path.join(home, '.local', 'share', 'dezc'),
    SHELL: '/bin/bash',
    JAVA_HOME: '',
    SPARK_HOME: '',
    PYTHONPATH: '',
    // No java on PATH unless a test puts it there: detection must not depend on the machine.
    PATH: '/usr/local/bin:/bin',
  }
  return {home, env, cleanup: () => fs.rm(home, {recursive: true, force: true})}
}
