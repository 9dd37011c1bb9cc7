// `dezc spark install` end to end: the built CLI against a loopback mirror serving generated
// archives with the real Spark/JDK layout (see test/helpers/spark-archives.ts for what is a stand-in).
import {execFileSync} from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {JAVA17_HOME, useSparkFixtures} from '../../helpers/spark-fixtures.js'

const t = useSparkFixtures()
let prefix: string
let rc: string

beforeEach(async () => {
  prefix = path.join(t.h.home, 'spark')
  rc = path.join(t.h.home, '.bashrc')
})

function install(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['spark', 'install', ...args], {env: {...t.h.env, DEZC_SPARK_JDK_MIRROR: t.m.jdkMirror, ...env}})
}

const std = () => ['--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', rc, '--yes']

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  )
}

async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, {withFileTypes: true})) {
      const p = path.join(d, e.name)
      const st = await fs.lstat(p)
      out.push(`${path.relative(dir, p)} ${st.mtimeMs} ${st.size}`)
      if (e.isDirectory()) await walk(p)
    }
  }
  await walk(dir)
  return out.sort()
}

/** Run a command in bash after sourcing the rc file, like a new terminal would. */
function inShell(command: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('/usr/bin/bash', ['-c', `source "${rc}" && ${command}`], {
    env: {...t.h.env, ...env},
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

describe('dezc spark install (loopback Apache mirror, generated archives)', () => {
  it('Done means: JDK + Spark under --prefix and one rc block; a second run changes nothing and says so', async () => {
    await fs.writeFile(rc, 'alias ll="ls -l"\n')
    // The command line: --mirror http://127.0.0.1:PORT --prefix D --rc-file F --yes (the JDK mirror comes from the env).
    expect(t.m.rootMirror).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const doneMeans = ['--mirror', t.m.rootMirror, '--prefix', prefix, '--rc-file', rc, '--yes']
    const first = await install(doneMeans)
    expect(first.code, first.stderr).toBe(0)
    const submit = path.join(prefix, 'spark-3.3.2-bin-hadoop3', 'bin', 'spark-submit')
    await fs.access(submit, fs.constants.X_OK)
    await fs.access(path.join(prefix, 'jdk-11.0.2', 'bin', 'java'), fs.constants.X_OK)
    const text = await fs.readFile(rc, 'utf8')
    expect(text.startsWith('alias ll="ls -l"\n')).toBe(true)
    expect(text.match(/# >>> dezc spark >>>/g)).toHaveLength(1)
    expect(text).toContain(`export SPARK_HOME="${prefix}/spark-3.3.2-bin-hadoop3"`)
    expect(text).toContain('python/lib/py4j-0.10.9.5-src.zip')
    expect(first.stdout).toContain(`Open a new terminal, or run: source ${rc}`)
    // Both archives and both checksums were fetched, verified and cached.
    const root = t.m.sparkPath('3.3.2').replace(/^\/dist/, '')
    expect(t.m.server.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        root,
        `${root}.sha512`,
        '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz.sha256',
      ]),
    )
    expect(await fs.readdir(prefix)).toEqual(['jdk-11.0.2', 'spark-3.3.2-bin-hadoop3'])

    const before = await snapshot(t.h.home)
    t.m.server.requests.length = 0
    const second = await install(doneMeans)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toMatch(/Everything is already in place.*Nothing changed\./)
    expect(await snapshot(t.h.home)).toEqual(before)
    expect(t.m.server.requests).toEqual([])
  })

  it('--java auto reuses Debian OpenJDK 17: the block works in bash (spark-submit, pyspark, py4j) and --json reports it', async () => {
    const r = await install([...std(), '--java', 'auto', '--json'], {JAVA_HOME: JAVA17_HOME})
    expect(r.code, r.stderr).toBe(0)
    const out = r.json()
    expect(out).toMatchObject({
      changed: true,
      version: '3.3.2',
      javaHome: JAVA17_HOME,
      java: {source: 'JAVA_HOME', major: 17},
      py4j: '0.10.9.5',
      rcFile: rc,
      shell: 'bash',
    })
    expect(t.m.server.requests.some((q) => q.path.includes('openjdk'))).toBe(false)
    expect(await exists(path.join(prefix, 'jdk-11.0.2'))).toBe(false)

    // A new shell: real java 17 runs under the spark-submit stand-in; python imports pyspark and py4j via PYTHONPATH.
    const banner = inShell('spark-submit --version 2>&1')
    expect(banner).toContain('version 3.3.2')
    expect(banner).toMatch(/openjdk version "17/)
    const py = inShell(`/usr/bin/python3 -c 'import pyspark, py4j; print(pyspark.__version__, py4j.__version__)'`)
    expect(py.trim()).toBe('3.3.2 0.10.9.5')
  })

  it('shows download progress on stderr, and a later install into another prefix reuses the cached archives', async () => {
    const r = await install([...std(), '--version', '3.5.1'])
    expect(r.code, r.stderr).toBe(0)
    // Byte counters with the total and a percentage (plain lines naming the file without a TTY), ending at 100%.
    const kib = (t.m.spark351.data.length / 1024).toFixed(1)
    expect(r.stderr).toMatch(new RegExp(`› Spark 3\\.5\\.1: 0 B / ${kib} KiB \\(0%\\)`))
    expect(r.stderr).toContain(`› Spark 3.5.1: ${kib} KiB / ${kib} KiB (100%)`)
    // The JDK downloads at the same time; its lines name it.
    expect(r.stderr).toMatch(/› OpenJDK 11\.0\.2: [\d.]+ KiB \/ [\d.]+ KiB \(100%\)/)
    expect(r.stderr).toContain(`Downloaded and verified Spark 3.5.1 (${kib} KiB)`)
    expect(r.stdout).not.toContain('%)')

    t.m.server.requests.length = 0
    const other = path.join(t.h.home, 'other')
    const again = await install([
      '--mirror',
      t.m.mirror,
      '--prefix',
      other,
      '--rc-file',
      rc,
      '--yes',
      '--version',
      '3.5.1',
    ])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain('Cached and verified Spark 3.5.1')
    expect(again.stdout).toContain(`reused cached ${t.h.env.DEZC_CACHE_DIR}/spark/spark-3.5.1-bin-hadoop3.tgz`)
    // Only the checksum files were fetched (to verify the cache against); no archive.
    expect(t.m.server.requests.every((q) => /\.sha(256|512)$/.test(q.path))).toBe(true)
    await fs.access(path.join(other, 'spark-3.5.1-bin-hadoop3', 'bin', 'spark-submit'))
    expect(await fs.readFile(rc, 'utf8')).toContain(`export SPARK_HOME="${other}/spark-3.5.1-bin-hadoop3"`)
  })

  it('another --version installs beside the old one and switches the block', async () => {
    expect((await install(std())).code).toBe(0)
    const r = await install([...std(), '--version', '3.5.1'])
    expect(r.code, r.stderr).toBe(0)
    expect(await fs.readdir(prefix)).toEqual(['jdk-11.0.2', 'spark-3.3.2-bin-hadoop3', 'spark-3.5.1-bin-hadoop3'])
    const text = await fs.readFile(rc, 'utf8')
    expect(text.match(/# >>> dezc spark >>>/g)).toHaveLength(1)
    expect(text).toContain('spark-3.5.1-bin-hadoop3')
    expect(text).not.toContain('spark-3.3.2-bin-hadoop3')
    expect(text).toContain('py4j-0.10.9.7-src.zip')
    expect(r.stdout).toContain(`updated the dezc block in ${rc}`)
    // The JDK was already there: not downloaded again.
    expect(t.m.server.requests.filter((q) => q.path.endsWith('linux-x64_bin.tar.gz'))).toHaveLength(1)
    expect(inShell('/usr/bin/python3 -c "import py4j; print(py4j.__version__)"').trim()).toBe('0.10.9.7')
  })

  it('a checksum mismatch deletes the download and installs nothing', async () => {
    const key = `${t.m.sparkPath('3.5.1')}.sha512`
    const good = t.m.server.files.get(key)!
    t.m.server.files.set(key, Buffer.from(`${'0'.repeat(128)}  spark-3.5.1-bin-hadoop3.tgz\n`))
    // The JDK downloads at the same time, slowly (~7 s): the failed Spark download stops it at once.
    const jdkPath = '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz'
    t.m.server.pace(jdkPath, 4 * 1024, 100)
    try {
      const r = await install([...std(), '--version', '3.5.1'])
      expect(r.code).toBe(1)
      const jdkCache = await fs.readdir(path.join(t.h.env.DEZC_CACHE_DIR!, 'jdk')).catch(() => [])
      expect(jdkCache).not.toContain('openjdk-11.0.2_linux-x64_bin.tar.gz')
      expect(r.stderr).toContain('[CHECKSUM_MISMATCH]')
      expect(r.stderr).toContain('nothing was installed')
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect((await exists(prefix)) ? await fs.readdir(prefix) : []).toEqual([])
      expect(await exists(rc)).toBe(false)
      const cached = await fs.readdir(path.join(t.h.env.DEZC_CACHE_DIR!, 'spark')).catch(() => [])
      expect(cached).toEqual([])
    } finally {
      t.m.server.files.set(key, good)
      t.m.server.pace(jdkPath, 0, 0)
    }
  })

  it('an unknown version lists the versions the mirror has', async () => {
    const r = await install([...std(), '--version', '3.9.9'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Spark 3.9.9 (spark-3.9.9-bin-hadoop3.tgz) is not on')
    expect(r.stderr).toContain('Versions on that mirror: 3.5.1, 3.3.2, 3.2.4.')
    expect(await exists(rc)).toBe(false)
    const json = (await install([...std(), '--version', '3.9.9', '--json'])).json()
    expect(json.error).toMatchObject({code: 'UNKNOWN_SPARK_VERSION', details: {available: ['3.5.1', '3.3.2', '3.2.4']}})
    // Checked before the confirmation: without --yes (no TTY) the answer is still "unknown version", not "pass --yes".
    const noYes = await install(['--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', rc, '--version', '3.9.9'])
    expect(noYes.code).toBe(2)
    expect(noYes.stderr).toContain('[UNKNOWN_SPARK_VERSION]')
  })

  it('an interrupted download fails clearly, and the next run resumes it with a Range request', async () => {
    const total = t.m.spark332.data.length
    t.m.server.cutAfter(t.m.sparkPath('3.3.2'), 600_000)
    const r = await install(std())
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[DOWNLOAD_INTERRUPTED]')
    expect(r.stderr).toContain('resumes where it stopped')
    const part = path.join(t.h.env.DEZC_CACHE_DIR!, 'spark', 'spark-3.3.2-bin-hadoop3.tgz.part')
    const partSize = (await fs.stat(part)).size
    expect(partSize).toBeGreaterThan(0)
    expect(partSize).toBeLessThan(total)
    expect(await exists(path.join(prefix, 'spark-3.3.2-bin-hadoop3'))).toBe(false)
    expect(await exists(rc)).toBe(false)

    const again = await install(std())
    expect(again.code, again.stderr).toBe(0)
    const resumed = t.m.server.requests.filter((q) => q.path === t.m.sparkPath('3.3.2')).at(-1)
    expect(resumed).toMatchObject({range: `bytes=${partSize}-`, status: 206})
    expect(again.stdout).toMatch(/resumed at/)
    await fs.access(path.join(prefix, 'spark-3.3.2-bin-hadoop3', 'bin', 'spark-submit'))
  })

  it('Ctrl-C during a download exits 130, keeps the partial file, installs nothing', async () => {
    t.m.server.pace(t.m.sparkPath('3.5.1'), 32 * 1024, 50)
    const part = path.join(t.h.env.DEZC_CACHE_DIR!, 'spark', 'spark-3.5.1-bin-hadoop3.tgz.part')
    try {
      const r = await runCli(['spark', 'install', ...std(), '--version', '3.5.1'], {
        env: {...t.h.env, DEZC_SPARK_JDK_MIRROR: t.m.jdkMirror},
        onSpawn: (child) => {
          const poll = setInterval(async () => {
            const size = await fs.stat(part).then(
              (s) => s.size,
              () => 0,
            )
            if (size > 64 * 1024) {
              clearInterval(poll)
              child.kill('SIGINT')
            }
          }, 25)
          child.on('exit', () => clearInterval(poll))
        },
      })
      expect(r.code).toBe(130)
      expect(r.stderr).toContain('Interrupted')
      expect(r.stderr).not.toMatch(/\n\s+at /)
      const size = (await fs.stat(part)).size
      expect(size).toBeGreaterThan(64 * 1024)
      expect(size).toBeLessThan(t.m.spark351.data.length)
      expect(await exists(path.join(prefix, 'spark-3.5.1-bin-hadoop3'))).toBe(false)
      expect(await exists(rc)).toBe(false)
    } finally {
      t.m.server.pace(t.m.sparkPath('3.5.1'), 0, 0)
    }
  })

  it('--dry-run prints downloads, extractions, the block and manual commands, and changes nothing', async () => {
    const r = await install([...std(), '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Dry run: nothing was changed.')
    expect(r.stdout).toContain(
      `curl -fL -C - -o ${t.h.env.DEZC_CACHE_DIR}/spark/spark-3.3.2-bin-hadoop3.tgz ${t.m.mirror}/spark/spark-3.3.2/spark-3.3.2-bin-hadoop3.tgz`,
    )
    expect(r.stdout).toContain(`${t.m.jdkMirror}/openjdk-11.0.2_linux-x64_bin.tar.gz`)
    expect(r.stdout).toContain(`tar -xzf ${t.h.env.DEZC_CACHE_DIR}/spark/spark-3.3.2-bin-hadoop3.tgz -C ${prefix}`)
    expect(r.stdout).toContain(`cat >> ${rc} <<'EOF'`)
    expect(r.stdout).toContain('py4j-0.10.9.5-src.zip')
    expect(await snapshot(t.h.home)).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/^(spark|\.bashrc|\.cache)/)]),
    )
    expect(t.m.server.requests).toEqual([])
  })

  it('takes version, mirrors and prefix from the config file (spark section); env beats config, flags beat both', async () => {
    const cfg = path.join(t.h.home, 'dezc.yaml')
    await fs.writeFile(
      cfg,
      `spark:\n  mirror: ${t.m.mirror}\n  jdkMirror: ${t.m.jdkMirror}\n  prefix: ${prefix}\n  version: 3.5.1\n`,
    )
    const r = await install(['--rc-file', rc, '--yes', '--config', cfg, '--json'], {
      DEZC_SPARK_JDK_MIRROR: '',
      DEZC_SPARK_VERSION: '3.3.2',
    })
    expect(r.code, r.stderr).toBe(0)
    expect(r.json()).toMatchObject({version: '3.3.2', sparkHome: path.join(prefix, 'spark-3.3.2-bin-hadoop3')})

    // The mirror: DEZC_SPARK_MIRROR beats the config, --mirror beats both (the losers name a closed port).
    const dead = 'http://127.0.0.1:9/dist'
    const other = (n: string) => path.join(t.h.home, n)
    await fs.writeFile(cfg, `spark:\n  mirror: ${dead}\n`)
    const viaConfig = await install(['--rc-file', rc, '--yes', '--config', cfg, '--prefix', other('a')])
    expect(viaConfig.code).toBe(1)
    expect(viaConfig.stderr).toContain('Cannot reach http://127.0.0.1:9')
    expect(viaConfig.stderr).toContain('comes from --mirror (DEZC_SPARK_MIRROR, spark.mirror in the config)')
    // An unreachable JDK mirror says where that URL comes from, and the offline way out.
    const jdkDown = await install(
      ['--rc-file', rc, '--yes', '--config', cfg, '--prefix', other('j'), '--mirror', t.m.mirror],
      {DEZC_SPARK_JDK_MIRROR: 'http://127.0.0.1:9/jdk'},
    )
    expect(jdkDown.code).toBe(1)
    expect(jdkDown.stderr).toContain('[DOWNLOAD_FAILED]')
    expect(jdkDown.stderr).toContain('--jdk-mirror (DEZC_SPARK_JDK_MIRROR, spark.jdkMirror)')
    expect(jdkDown.stderr).toContain('--java auto')
    const viaEnv = await install(['--rc-file', rc, '--yes', '--config', cfg, '--prefix', other('b'), '--json'], {
      DEZC_SPARK_MIRROR: t.m.mirror,
    })
    expect(viaEnv.code, viaEnv.stderr).toBe(0)
    expect(viaEnv.json()).toMatchObject({changed: true, sparkHome: path.join(other('b'), 'spark-3.3.2-bin-hadoop3')})
    const viaFlag = await install(
      ['--rc-file', rc, '--yes', '--config', cfg, '--prefix', other('c'), '--mirror', t.m.mirror, '--json'],
      {DEZC_SPARK_MIRROR: dead},
    )
    expect(viaFlag.code, viaFlag.stderr).toBe(0)
    expect(viaFlag.json()).toMatchObject({changed: true, sparkHome: path.join(other('c'), 'spark-3.3.2-bin-hadoop3')})

    await fs.writeFile(cfg, 'spark:\n  mirror: ftp://nope\n')
    const bad = await install(['--yes', '--config', cfg])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(cfg)
    expect(bad.stderr).toMatch(/must be an http/)
  })

  it('writes fish syntax to a fish rc file', async () => {
    const fishRc = path.join(t.h.home, '.config', 'fish', 'config.fish')
    const r = await install(
      ['--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', fishRc, '--yes', '--java', 'auto'],
      {JAVA_HOME: JAVA17_HOME},
    )
    expect(r.code, r.stderr).toBe(0)
    const text = await fs.readFile(fishRc, 'utf8')
    expect(text).toContain(`set -gx SPARK_HOME '${prefix}/spark-3.3.2-bin-hadoop3'`)
    expect(text).toContain(
      'set -gx PYTHONPATH $SPARK_HOME/python $SPARK_HOME/python/lib/py4j-0.10.9.5-src.zip $PYTHONPATH',
    )
  })

  it('bad input: unsupported OS, malformed version, no --yes without a TTY; each exits non-zero with a fix and no stack', async () => {
    const win = await install(std(), {DEZC_PLATFORM: 'win32-x64'})
    expect(win.code).toBe(4)
    expect(win.stderr).toContain('[UNSUPPORTED_PLATFORM]')
    expect(win.stderr).toContain('WSL')
    const ver = await install([...std(), '--version', 'latest'])
    expect(ver.code).toBe(2)
    expect(ver.stderr).toContain('"latest" is not a Spark version')
    const noYes = await install(['--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', rc])
    expect(noYes.code).toBe(3)
    expect(noYes.stderr).toContain('--yes')
    for (const r of [win, ver, noYes]) expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(await exists(prefix)).toBe(false)
    // Only the checksums were read before the question (an unknown version fails early); no archive was downloaded.
    expect(t.m.server.requests.map((q) => q.path).sort()).toEqual([
      `${t.m.sparkPath('3.3.2')}.sha512`,
      '/java/GA/jdk11/9/GPL/openjdk-11.0.2_linux-x64_bin.tar.gz.sha256',
    ])
  })

  it('a prefix that is a file, and an rc path that is a directory, fail before any download', async () => {
    await fs.writeFile(path.join(t.h.home, 'afile'), '')
    const r1 = await install([
      '--mirror',
      t.m.mirror,
      '--prefix',
      path.join(t.h.home, 'afile', 'spark'),
      '--rc-file',
      rc,
      '--yes',
    ])
    expect(r1.code).toBe(4)
    expect(r1.stderr).toContain('[PREFIX_NOT_WRITABLE]')
    const r2 = await install(['--mirror', t.m.mirror, '--prefix', prefix, '--rc-file', t.h.home, '--yes'])
    expect(r2.code).toBe(4)
    expect(r2.stderr).toContain('[RC_NOT_WRITABLE]')
    expect(t.m.server.requests).toEqual([])
  })
})
