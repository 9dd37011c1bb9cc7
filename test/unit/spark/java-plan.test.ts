import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {silentUi} from '../../../src/core/ui.js'
import {checkPlatform} from '../../../src/spark/plan.js'
import {installSpark} from '../../../src/spark/service.js'
import {
  defaultJavaMode,
  javaHomeFromBinary,
  parseJavaVersion,
  planJdk,
  type JavaInfo,
  type PlanJdkInput,
} from '../../../src/spark/java.js'
import type {Platform, RunResult} from '../../../src/spark/platform.js'
import {parseSparkVersion} from '../../../src/spark/versions.js'

function thrown(fn: () => unknown): DezcError {
  try {
    fn()
  } catch (error) {
    if (error instanceof DezcError) return error
    throw error
  }
  throw new Error('expected a DezcError')
}

const java = (major: number, source: JavaInfo['source'] = 'JAVA_HOME'): JavaInfo => ({
  home: `/jvm/${major}`,
  major,
  version: String(major),
  source,
})
const input = (o: Partial<PlanJdkInput>): PlanJdkInput => ({
  os: 'linux',
  arch: 'x64',
  javaMode: '11',
  spark: parseSparkVersion('3.3.2'),
  prefix: '/p',
  jdkMirror: 'http://m/jdk',
  detected: [],
  ...o,
})

describe('java -version parsing', () => {
  it('reads old and new version schemes', () => {
    expect(parseJavaVersion('openjdk version "11.0.2" 2019-01-15\nOpenJDK Runtime Environment 18.9')).toEqual({
      major: 11,
      version: '11.0.2',
    })
    expect(parseJavaVersion('java version "1.8.0_392"\nJava(TM) SE Runtime')).toEqual({major: 8, version: '1.8.0_392'})
    expect(parseJavaVersion('openjdk version "17" 2021-09-14')).toEqual({major: 17, version: '17'})
    expect(parseJavaVersion('openjdk version "21-ea" 2023-09-19')?.major).toBe(21)
    expect(parseJavaVersion('bash: java: command not found')).toBeUndefined()
  })

  it('derives JAVA_HOME from the real java binary', () => {
    expect(javaHomeFromBinary('/usr/lib/jvm/java-17-openjdk-amd64/bin/java')).toBe('/usr/lib/jvm/java-17-openjdk-amd64')
    expect(javaHomeFromBinary('/usr/lib/jvm/java-8-openjdk-amd64/jre/bin/java')).toBe(
      '/usr/lib/jvm/java-8-openjdk-amd64',
    )
  })
})

describe('where the JDK comes from (planJdk)', () => {
  it('Linux x64, default: download OpenJDK 11.0.2 into the prefix', () => {
    const p = planJdk(input({}))
    expect(p).toMatchObject({
      kind: 'download',
      url: 'http://m/jdk/openjdk-11.0.2_linux-x64_bin.tar.gz',
      checksumUrl: 'http://m/jdk/openjdk-11.0.2_linux-x64_bin.tar.gz.sha256',
      home: '/p/jdk-11.0.2',
    })
  })

  it('--java auto reuses the first installed Java that suits the Spark version', () => {
    const p = planJdk(input({javaMode: 'auto', detected: [java(21), java(17, 'PATH')]}))
    expect(p).toMatchObject({kind: 'reuse', java: {major: 17, source: 'PATH'}})
  })

  it('--java auto falls back to downloading 11 (with a note) when nothing suits', () => {
    const p = planJdk(input({javaMode: 'auto', detected: [java(21)]}))
    expect(p.kind).toBe('download')
    expect(p.note).toMatch(/found Java 21 \(JAVA_HOME\); needs 8\/11\/17/)
  })

  it('Spark 4 needs Java 17/21: clear errors for 11 and for auto without one', () => {
    const spark = parseSparkVersion('4.0.1')
    expect(thrown(() => planJdk(input({spark}))).code).toBe('JAVA_UNSUPPORTED')
    const e = thrown(() => planJdk(input({spark, javaMode: 'auto', detected: [java(11)]})))
    expect(e.code).toBe('JAVA_NOT_FOUND')
    expect(e.exit).toBe(4)
    expect(planJdk(input({spark, javaMode: 'auto', detected: [java(11), java(21, 'PATH')]}))).toMatchObject({
      kind: 'reuse',
      java: {major: 21},
    })
  })

  it('--java 17 / 21 reuse an installed Java of exactly that major, else a typed error naming what was found', () => {
    const spark = parseSparkVersion('4.0.1')
    expect(planJdk(input({spark, javaMode: '21', detected: [java(17), java(21, 'PATH')]}))).toMatchObject({
      kind: 'reuse',
      java: {major: 21, source: 'PATH'},
    })
    const e = thrown(() => planJdk(input({spark, javaMode: '17', detected: [java(11), java(21, 'PATH')]})))
    expect(e.code).toBe('JAVA_NOT_FOUND')
    expect(e.message).toBe('Spark 4.0.1 needs Java 17; found only Java 11 (JAVA_HOME), Java 21 (PATH).')
    expect(e.suggestions.join(' ')).toMatch(/openjdk-17-jdk-headless/)
    // Spark 3.3 does not run on 21.
    expect(thrown(() => planJdk(input({javaMode: '21', detected: [java(21)]}))).code).toBe('JAVA_UNSUPPORTED')
  })

  it('the --java default follows the Spark line: 11 for 3.x, auto (an installed 17/21) for 4.x', () => {
    expect(defaultJavaMode(parseSparkVersion('3.3.2'))).toBe('11')
    expect(defaultJavaMode(parseSparkVersion('4.0.1'))).toBe('auto')
  })

  it('macOS with Homebrew: brew install openjdk@11', () => {
    expect(planJdk(input({os: 'darwin', arch: 'arm64', brew: '/opt/homebrew/bin/brew'}))).toMatchObject({
      kind: 'brew',
      formula: 'openjdk@11',
      brew: '/opt/homebrew/bin/brew',
    })
  })

  it('macOS without Homebrew: the osx-x64 tarball on Intel, an error with a fix on Apple Silicon', () => {
    expect(planJdk(input({os: 'darwin', arch: 'x64'}))).toMatchObject({
      kind: 'download',
      archiveName: 'openjdk-11.0.2_osx-x64_bin.tar.gz',
      home: '/p/jdk-11.0.2.jdk/Contents/Home',
    })
    const e = thrown(() => planJdk(input({os: 'darwin', arch: 'arm64'})))
    expect(e.code).toBe('JDK_UNAVAILABLE')
    expect(e.suggestions.join(' ')).toMatch(/Homebrew/)
  })

  it('Linux arm64: no OpenJDK 11.0.2 build, so suggest the distro JDK and --java auto', () => {
    const e = thrown(() => planJdk(input({arch: 'arm64'})))
    expect(e.code).toBe('JDK_UNAVAILABLE')
    expect(e.suggestions.join(' ')).toMatch(/--java auto/)
  })

  it('--java PATH must hold a supported Java; unknown --java values are usage errors', () => {
    expect(planJdk(input({javaMode: '/opt/jdk17', explicit: java(17, 'flag')}))).toMatchObject({
      kind: 'reuse',
      java: {major: 17, source: 'flag'},
    })
    expect(thrown(() => planJdk(input({javaMode: '/opt/jdk21', explicit: java(21, 'flag')}))).code).toBe(
      'JAVA_UNSUPPORTED',
    )
    expect(thrown(() => planJdk(input({javaMode: '/nowhere'}))).code).toBe('JAVA_NOT_FOUND')
    expect(thrown(() => planJdk(input({javaMode: '8'}))).exit).toBe(2)
    expect(thrown(() => planJdk(input({javaMode: '17'}))).code).toBe('JAVA_NOT_FOUND')
  })
})

describe('platform support', () => {
  it('accepts Linux/macOS x64/arm64 and points Windows users to WSL', () => {
    for (const [o, a] of [
      ['linux', 'x64'],
      ['linux', 'arm64'],
      ['darwin', 'x64'],
      ['darwin', 'arm64'],
    ])
      expect(() => checkPlatform(o, a)).not.toThrow()
    const e = thrown(() => checkPlatform('win32', 'x64'))
    expect(e.code).toBe('UNSUPPORTED_PLATFORM')
    expect(e.suggestions[0]).toMatch(/WSL/)
    expect(thrown(() => checkPlatform('linux', 'ppc64')).exit).toBe(4)
  })
})

describe('macOS install plan through an injected platform', () => {
  const tmp = fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-mac-'))
  afterAll(async () => fs.rm(await tmp, {recursive: true, force: true}))

  it('--dry-run on a Mac with brew plans `brew install openjdk@11` and the Apache Spark tarball', async () => {
    const dir = await tmp
    const calls: string[][] = []
    const platform: Platform = {
      os: 'darwin',
      arch: 'arm64',
      env: {HOME: dir, SHELL: '/bin/zsh', PATH: ''},
      async run(cmd, args): Promise<RunResult> {
        calls.push([cmd, ...args])
        if (args[0] === '--prefix') return {code: 0, stdout: '/opt/homebrew/opt/openjdk@11\n', stderr: ''}
        return {code: 1, stdout: '', stderr: 'unexpected'}
      },
      which: async (cmd) => (cmd === 'brew' ? '/opt/homebrew/bin/brew' : undefined),
    }
    const r = await installSpark({
      version: '3.3.2',
      mirror: 'https://archive.apache.org/dist',
      jdkMirror: 'http://unused',
      prefix: path.join(dir, 'spark'),
      java: '11',
      cacheDir: path.join(dir, 'cache'),
      dryRun: true,
      platform,
      ui: silentUi(),
      signal: new AbortController().signal,
    })
    expect(r.dryRun).toBe(true)
    expect(r.shell).toBe('zsh')
    expect(r.rcFile).toBe(path.join(dir, '.zshrc'))
    expect(r.java.source).toBe('brew openjdk@11')
    expect(r.commands).toContain('brew install openjdk@11')
    expect(r.commands!.join('\n')).toContain('curl -fL -C - -o')
    expect(r.commands!.join('\n')).toContain(
      'https://archive.apache.org/dist/spark/spark-3.3.2/spark-3.3.2-bin-hadoop3.tgz',
    )
    expect(r.block).toContain('export JAVA_HOME="/opt/homebrew/opt/openjdk@11/libexec/openjdk.jdk/Contents/Home"')
    // brew was only asked where the keg is, never told to install under --dry-run.
    expect(calls).toEqual([['/opt/homebrew/bin/brew', '--prefix', 'openjdk@11']])
    await expect(fs.access(path.join(dir, 'spark'))).rejects.toThrow()
  })
})

describe('which installed Javas are probed', () => {
  it('only --java auto runs `java -version` on the installed Javas (each probe starts a JVM)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-probe-'))
    try {
      const home = path.join(dir, 'jdk17')
      await fs.mkdir(path.join(home, 'bin'), {recursive: true})
      await fs.writeFile(path.join(home, 'bin', 'java'), '#!/bin/sh\n', {mode: 0o755})
      const calls: string[][] = []
      const platform: Platform = {
        os: 'linux',
        arch: 'x64',
        env: {HOME: dir, SHELL: '/bin/bash', JAVA_HOME: home, PATH: ''},
        async run(cmd, args): Promise<RunResult> {
          calls.push([cmd, ...args])
          return {code: 0, stdout: '', stderr: 'openjdk version "17.0.13" 2024-10-15\n'}
        },
        which: async () => undefined,
      }
      const plan = (javaMode: string) =>
        installSpark({
          version: '3.3.2',
          mirror: 'http://unused',
          jdkMirror: 'http://unused/jdk',
          prefix: path.join(dir, 'spark'),
          java: javaMode,
          cacheDir: path.join(dir, 'cache'),
          dryRun: true,
          platform,
          ui: silentUi(),
          signal: new AbortController().signal,
        })
      const byDefault = await plan('11')
      expect(byDefault.java).toMatchObject({source: 'download', major: 11})
      expect(calls).toEqual([])
      const auto = await plan('auto')
      expect(auto.java).toMatchObject({source: 'JAVA_HOME', major: 17, version: '17.0.13'})
      expect(calls).toEqual([[path.join(home, 'bin', 'java'), '-version']])
    } finally {
      await fs.rm(dir, {recursive: true, force: true})
    }
  })
})
