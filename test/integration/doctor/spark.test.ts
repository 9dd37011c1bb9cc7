/**
 * `dezc doctor`'s Java/Spark rows come from the `spark doctor` service without starting Spark:
 * checked with Debian's real JDK 17 and with broken JAVA_HOME / SPARK_HOME folders.
 */
import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {makeTempDir} from '../../helpers/tmp.js'

const JDK = fs
  .readdirSync('/usr/lib/jvm')
  .map((d) => path.join('/usr/lib/jvm', d))
  .find((d) => /java-17/.test(d) && fs.existsSync(path.join(d, 'bin', 'java')))

async function sparkRows(env: Record<string, string>) {
  const home = makeTempDir('dezc-doctor-spark-')
  const r = await runCli(['doctor', '--only', 'spark', '--timeout', '60', '--json'], {
    env: {HOME: home, SHELL: '/bin/bash', SPARK_HOME: '', PYTHONPATH: '', ...env},
  })
  const rows = Object.fromEntries(
    (r.json().checks as Array<{id: string; status: string; detail: string; fix?: string}>).map((c) => [c.id, c]),
  )
  return {code: r.code, rows}
}

describe('doctor: Java and Spark', () => {
  it("Debian's JDK 17 as JAVA_HOME is ok and suits the course's Spark; no SPARK_HOME is a warning with the install command", async () => {
    expect(JDK, 'openjdk-17 from scripts/ensure-system-deps.sh').toBeDefined()
    const {code, rows} = await sparkRows({JAVA_HOME: JDK!})
    expect(code).toBe(0)
    expect(rows['spark.java-home']).toMatchObject({status: 'ok', detail: JDK})
    expect(rows['spark.java-version']).toMatchObject({status: 'ok', detail: expect.stringMatching(/^Java 17\./)})
    expect(rows['spark.spark-home']).toMatchObject({status: 'warn', fix: expect.stringContaining('dezc spark install')})
  })

  it('a JAVA_HOME without bin/java and a SPARK_HOME without spark-submit fail, exit 5', async () => {
    const empty = makeTempDir('dezc-doctor-notjava-')
    const {code, rows} = await sparkRows({JAVA_HOME: empty, SPARK_HOME: empty})
    expect(code).toBe(5)
    expect(rows['spark.java-home']).toMatchObject({status: 'fail', detail: `JAVA_HOME=${empty} has no bin/java`})
    expect(rows['spark.spark-home']).toMatchObject({
      status: 'fail',
      detail: `SPARK_HOME=${empty} has no bin/spark-submit`,
    })
  })
})
