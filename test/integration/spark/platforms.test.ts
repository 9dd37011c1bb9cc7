// `dezc spark install` on the other platforms the issue names, run as the built CLI on this Linux box:
// DEZC_PLATFORM makes dezc take the macOS / arm64 decisions, and a STAND-IN `brew` (a bash
// script that logs its argv and creates a keg) plays Homebrew. Nothing here runs the real brew;
// the Spark and JDK archives come from the loopback mirror like in install.test.ts.
import fs from 'node:fs/promises'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../../helpers/cli.js'
import {JAVA17_HOME, useSparkFixtures} from '../../helpers/spark-fixtures.js'

const t = useSparkFixtures()
let prefix: string

beforeEach(async () => {
  prefix = path.join(t.h.home, 'spark')
})

function install(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['spark', 'install', '--mirror', t.m.mirror, '--prefix', prefix, '--yes', ...args], {
    env: {...t.h.env, DEZC_SPARK_JDK_MIRROR: t.m.jdkMirror, ...env},
  })
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  )
}

/**
 * Stand-in Homebrew: `brew --prefix openjdk@11` prints the keg path (like brew, also before it is
 * installed), `brew install openjdk@11` creates the keg with a bin/java, BREW_FAIL=1 makes install fail.
 */
async function standInBrew(): Promise<{keg: string; log: string}> {
  const keg = path.join(t.h.home, 'homebrew', 'opt', 'openjdk@11')
  const log = path.join(t.h.home, 'brew.log')
  const home = path.join(keg, 'libexec', 'openjdk.jdk', 'Contents', 'Home')
  await fs.writeFile(
    path.join(t.h.bin, 'brew'),
    `#!/usr/bin/bash
echo "$*" >> "${log}"
case "$1" in
  --prefix) echo "${keg}" ;;
  install)
    if [ "\${BREW_FAIL:-}" = 1 ]; then echo "Error: openjdk@11: stand-in failure" >&2; exit 1; fi
    echo "==> Pouring openjdk@11--11.0.25.arm64_sonoma.bottle.tar.gz"
    /usr/bin/mkdir -p "${home}/bin"
    printf '#!/bin/sh\\necho "openjdk version \\\\"11.0.25\\\\" 2024-10-15" >&2\\n' > "${home}/bin/java"
    /usr/bin/chmod 755 "${home}/bin/java" ;;
  *) echo "stand-in brew: $1 not implemented" >&2; exit 2 ;;
esac
`,
    {mode: 0o755},
  )
  return {keg, log}
}

describe('dezc spark install on macOS (DEZC_PLATFORM, stand-in brew)', () => {
  it('Apple Silicon with Homebrew: `brew install openjdk@11`, Spark from the Apache tarball, zsh block; a re-run changes nothing', async () => {
    const {keg, log} = await standInBrew()
    const env = {DEZC_PLATFORM: 'darwin-arm64', SHELL: '/bin/zsh'}
    const r = await install(['--json'], env)
    expect(r.code, r.stderr).toBe(0)
    const javaHome = path.join(keg, 'libexec', 'openjdk.jdk', 'Contents', 'Home')
    expect(r.json()).toMatchObject({
      changed: true,
      version: '3.3.2',
      shell: 'zsh',
      rcFile: path.join(t.h.home, '.zshrc'),
      javaHome,
      java: {source: 'brew openjdk@11', major: 11},
    })
    expect((await fs.readFile(log, 'utf8')).trim().split('\n')).toEqual([
      '--prefix openjdk@11',
      'install openjdk@11',
      '--prefix openjdk@11',
    ])
    // Spark is the version asked for, from the Apache archive; no JDK tarball was fetched.
    expect(t.m.server.requests.map((q) => q.path)).toEqual(expect.arrayContaining([t.m.sparkPath('3.3.2')]))
    expect(t.m.server.requests.some((q) => q.path.includes('openjdk'))).toBe(false)
    await fs.access(path.join(prefix, 'spark-3.3.2-bin-hadoop3', 'bin', 'spark-submit'), fs.constants.X_OK)
    expect(await fs.readdir(prefix)).toEqual(['spark-3.3.2-bin-hadoop3'])
    const zshrc = await fs.readFile(path.join(t.h.home, '.zshrc'), 'utf8')
    expect(zshrc).toContain(`export JAVA_HOME="${javaHome}"`)
    expect(zshrc.match(/# >>> dezc spark >>>/g)).toHaveLength(1)

    const again = await install([], env)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('Nothing changed.')
    // Only asked where the keg is; not installed again.
    expect((await fs.readFile(log, 'utf8')).trim().split('\n').slice(3)).toEqual(['--prefix openjdk@11'])
  })

  it('a failing `brew install` exits 1 with its message and a fix; nothing is extracted, no block is written', async () => {
    await standInBrew()
    const r = await install(['--rc-file', path.join(t.h.home, '.zshrc')], {
      DEZC_PLATFORM: 'darwin-arm64',
      BREW_FAIL: '1',
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('[BREW_FAILED]')
    expect(r.stderr).toContain('stand-in failure')
    expect(r.stderr).toContain('brew install openjdk@11')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(await exists(path.join(prefix, 'spark-3.3.2-bin-hadoop3'))).toBe(false)
    expect(await exists(path.join(t.h.home, '.zshrc'))).toBe(false)
  })

  it('Intel Mac without Homebrew: the osx-x64 JDK bundle, JAVA_HOME is its Contents/Home', async () => {
    const rc = path.join(t.h.home, '.bash_profile')
    const r = await install(['--rc-file', rc, '--json'], {DEZC_PLATFORM: 'darwin-x64'})
    expect(r.code, r.stderr).toBe(0)
    const javaHome = path.join(prefix, 'jdk-11.0.2.jdk', 'Contents', 'Home')
    expect(r.json()).toMatchObject({javaHome, java: {source: 'download', major: 11, version: '11.0.2'}, shell: 'bash'})
    expect(t.m.server.requests.map((q) => q.path)).toEqual(
      expect.arrayContaining([
        '/java/GA/jdk11/9/GPL/openjdk-11.0.2_osx-x64_bin.tar.gz',
        '/java/GA/jdk11/9/GPL/openjdk-11.0.2_osx-x64_bin.tar.gz.sha256',
      ]),
    )
    await fs.access(path.join(javaHome, 'bin', 'java'), fs.constants.X_OK)
    expect(await fs.readFile(rc, 'utf8')).toContain(`export JAVA_HOME="${javaHome}"`)
  })

  it('Apple Silicon without Homebrew, and Linux arm64 without --java auto: no JDK 11 build, exit 4 with a fix, nothing fetched', async () => {
    const mac = await install(['--rc-file', path.join(t.h.home, '.zshrc')], {DEZC_PLATFORM: 'darwin-arm64'})
    expect(mac.code).toBe(4)
    expect(mac.stderr).toContain('[JDK_UNAVAILABLE]')
    expect(mac.stderr).toContain('brew.sh')
    const arm = await install(['--rc-file', path.join(t.h.home, '.bashrc')], {DEZC_PLATFORM: 'linux-arm64'})
    expect(arm.code).toBe(4)
    expect(arm.stderr).toContain('--java auto')
    const ppc = await install(['--rc-file', path.join(t.h.home, '.bashrc')], {DEZC_PLATFORM: 'linux-ppc64'})
    expect(ppc.code).toBe(4)
    expect(ppc.stderr).toContain('[UNSUPPORTED_PLATFORM]')
    for (const x of [mac, arm, ppc]) expect(x.stderr).not.toMatch(/\n\s+at /)
    expect(t.m.server.requests).toEqual([])
    expect(await exists(prefix)).toBe(false)
  })
})

describe('shell detection without --rc-file', () => {
  it('SHELL=zsh writes ~/.zshrc (ZDOTDIR honoured); SHELL=fish writes ~/.config/fish/config.fish', async () => {
    const zdot = path.join(t.h.home, 'zdot')
    const z = await install(['--java', 'auto', '--json'], {
      SHELL: '/usr/bin/zsh',
      ZDOTDIR: zdot,
      JAVA_HOME: JAVA17_HOME,
    })
    expect(z.code, z.stderr).toBe(0)
    expect(z.json()).toMatchObject({shell: 'zsh', rcFile: path.join(zdot, '.zshrc')})
    expect(await fs.readFile(path.join(zdot, '.zshrc'), 'utf8')).toContain('export SPARK_HOME=')
    const f = await install(['--java', 'auto', '--json'], {SHELL: '/usr/bin/fish', JAVA_HOME: JAVA17_HOME})
    expect(f.code, f.stderr).toBe(0)
    const fishRc = path.join(t.h.home, '.config', 'fish', 'config.fish')
    expect(f.json()).toMatchObject({shell: 'fish', rcFile: fishRc, changed: true})
    expect(await fs.readFile(fishRc, 'utf8')).toContain('set -gx SPARK_HOME ')
  })
})
