// `dezc spark doctor` in the environment a shell gets from the rc block, with Debian's real
// OpenJDK 17 and python3, a real pip-style pyspark in the user site-packages, and broken setups.
import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {BIN, parseEnvelope, runCli} from '../../helpers/cli.js'
import {checksById, expectDoctorAllOk, JAVA17_HOME, useSparkFixtures} from '../../helpers/spark-fixtures.js'

const t = useSparkFixtures()
let rc: string
let prefix: string

beforeEach(async () => {
  await t.h.addTool('python3')
  rc = path.join(t.h.home, '.bashrc')
  prefix = path.join(t.h.home, 'spark')
})

async function installWithJava17(): Promise<void> {
  const r = await runCli(
    ['spark', 'install', '--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', rc, '--java', 'auto', '--yes'],
    {env: {...t.h.env, JAVA_HOME: JAVA17_HOME}},
  )
  expect(r.code, r.stderr).toBe(0)
}

/** A pyspark 4.0.1 as pip or uv leaves it in a site-packages directory (the package and its dist-info). */
async function plantPyspark4(site: string, installer: string): Promise<void> {
  await fs.mkdir(path.join(site, 'pyspark'), {recursive: true})
  await fs.writeFile(path.join(site, 'pyspark', '__init__.py'), '__version__ = "4.0.1"\n')
  await fs.mkdir(path.join(site, 'pyspark-4.0.1.dist-info'))
  await fs.writeFile(
    path.join(site, 'pyspark-4.0.1.dist-info', 'METADATA'),
    'Metadata-Version: 2.1\nName: pyspark\nVersion: 4.0.1\n',
  )
  await fs.writeFile(path.join(site, 'pyspark-4.0.1.dist-info', 'INSTALLER'), `${installer}\n`)
}

/** `dezc spark doctor` in a bash that sourced the rc file first (a new terminal). */
function doctorInShell(
  args: string[],
  before = '',
): {code: number | null; stdout: string; stderr: string; json(): any} {
  const r = spawnSync(
    '/usr/bin/bash',
    [
      '-c',
      `source "${rc}"; ${before} exec "${process.execPath}" "${BIN}" spark doctor --rc-file "${rc}" ${args.join(' ')}`,
    ],
    {
      env: {...t.h.env, NODE_ENV: 'production', CI: 'true'},
      encoding: 'utf8',
      timeout: 120_000,
    },
  )
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => parseEnvelope(r.stdout, r.status, `stderr: ${r.stderr}`).result,
  }
}

describe('dezc spark doctor', () => {
  it('after install, in a shell that sourced the block: every check passes, exit 0', async () => {
    await installWithJava17()
    const r = doctorInShell(['--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expectDoctorAllOk(r.json(), JAVA17_HOME, /^Java 17\.\d.* suits Spark 3\.3\.2$/)
  })

  it('a leftover SPARK_HOME shadowing a pip-installed pyspark 4 fails with the fix, exit 5', async () => {
    await installWithJava17()
    const site = execFileSync('/usr/bin/python3', ['-c', 'import site; print(site.getusersitepackages())'], {
      env: {HOME: t.h.home},
      encoding: 'utf8',
    }).trim()
    expect(site.startsWith(t.h.home)).toBe(true)
    await plantPyspark4(site, 'pip')

    const r = doctorInShell(['--json'])
    expect(r.code).toBe(5)
    const json = r.json()
    expect(json.ok).toBe(false)
    const shadow = checksById(json)['pyspark-shadow']
    expect(shadow.status).toBe('fail')
    expect(shadow.detail).toContain(
      `(Spark 3.3.2) shadows pip-installed pyspark 4.0.1 at ${path.join(site, 'pyspark')}`,
    )
    expect(shadow.fix).toMatch(/unset SPARK_HOME/)

    const human = doctorInShell([])
    expect(human.code).toBe(5)
    expect(human.stdout).toMatch(/\[FAIL\] pip pyspark vs SPARK_HOME: .*shadows pip-installed pyspark 4\.0\.1/)
    expect(human.stdout).toContain('fix: Remove the old setup')
  })

  it("a pyspark 4 in uv's project .venv (not on python3's path) is found and named when an old SPARK_HOME shadows it", async () => {
    await installWithJava17()
    // The layout `uv venv` / `uv add pyspark` leaves in a project: .venv/bin/python and the package in its site-packages.
    const proj = path.join(t.h.home, 'proj')
    execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', path.join(proj, '.venv')])
    const site = execFileSync(
      path.join(proj, '.venv', 'bin', 'python'),
      ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
      {
        encoding: 'utf8',
      },
    ).trim()
    await plantPyspark4(site, 'uv')

    const elsewhere = doctorInShell(['--json'], `cd "${t.h.home}";`)
    expect(checksById(elsewhere.json())['pyspark-shadow']).toMatchObject({
      status: 'ok',
      detail: 'no pip-installed pyspark',
    })
    const inProject = doctorInShell(['--json'], `cd "${proj}";`)
    expect(inProject.code).toBe(5)
    const shadow = checksById(inProject.json())['pyspark-shadow']
    expect(shadow.status).toBe('fail')
    expect(shadow.detail).toContain(
      `(Spark 3.3.2) shadows pip-installed pyspark 4.0.1 at ${path.join(site, 'pyspark')} (${path.join(proj, '.venv', 'bin', 'python')})`,
    )
  })

  it('broken variables and an unsupported Java fail with fixes', async () => {
    await installWithJava17()
    // A JDK 21 stand-in: Spark 3.3.2 supports Java 8/11/17 only.
    const jdk21 = path.join(t.h.home, 'jdk-21')
    await fs.mkdir(path.join(jdk21, 'bin'), {recursive: true})
    await fs.writeFile(
      path.join(jdk21, 'bin', 'java'),
      '#!/bin/sh\necho \'openjdk version "21.0.2" 2024-01-16\' >&2\n',
      {mode: 0o755},
    )
    const r = doctorInShell(['--json'], `export JAVA_HOME="${jdk21}"; export PATH="$JAVA_HOME/bin:$PATH";`)
    expect(r.code).toBe(5)
    const c = checksById(r.json())
    expect(c['java-version']).toMatchObject({
      status: 'fail',
      detail: 'Java 21.0.2 is not supported by Spark 3.3.2 (needs 8/11/17)',
    })
    expect(c['rc-block'].status).toBe('warn')

    const gone = doctorInShell(['--json'], 'export SPARK_HOME=/nonexistent/spark JAVA_HOME=/nonexistent/jdk;')
    expect(gone.code).toBe(5)
    const g = checksById(gone.json())
    expect(g['spark-home']).toMatchObject({
      status: 'fail',
      detail: 'SPARK_HOME=/nonexistent/spark has no bin/spark-submit',
    })
    expect(g['java-home'].status).toBe('fail')
    expect(g['java-home'].fix).toMatch(/dezc spark install/)
  })

  it('a block the current shell has not loaded is a warning that says to source it', async () => {
    await installWithJava17()
    const r = await runCli(['spark', 'doctor', '--rc-file', rc], {env: t.h.env})
    expect(r.stdout).toContain(
      `[warn] dezc block in the shell rc: ${rc} sets SPARK_HOME=${prefix}/spark-3.3.2-bin-hadoop3, but this shell has SPARK_HOME=(unset)`,
    )
    expect(r.stdout).toContain(`fix: Open a new terminal or run: source ${rc}`)
    // Nothing set and no java at all: JAVA_HOME fails, so the exit is non-zero.
    expect(r.code).toBe(5)
  })

  it('reads spark.rcFile from the config, as spark install does: the block is found where install wrote it', async () => {
    const custom = path.join(t.h.home, 'custom-rc')
    const r0 = await runCli(
      ['spark', 'install', '--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', custom, '--java', 'auto', '--yes'],
      {env: {...t.h.env, JAVA_HOME: JAVA17_HOME}},
    )
    expect(r0.code, r0.stderr).toBe(0)
    await fs.writeFile(path.join(t.h.home, 'dezc.yaml'), `spark:\n  rcFile: ${custom}\n`)
    const r = await runCli(['spark', 'doctor', '--json'], {env: t.h.env, cwd: t.h.home})
    const block = checksById(r.json())['rc-block']
    expect(block.detail).toContain(custom)
    expect(block.detail).not.toContain('.bashrc')
  })
})
