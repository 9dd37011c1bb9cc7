/**
 * Finding a Java that suits the Spark version, and deciding where the JDK comes from:
 * reuse an installed one, download OpenJDK 11 from jdk.java.net (Linux, Intel macOS), or Homebrew's
 * `openjdk@11` on macOS when brew exists. The decision (`planJdk`) is pure and unit-tested.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode, usageError} from '../core/errors.js'
import {expandHome} from '../config/paths.js'
import {isExecutable, type Platform} from './platform.js'
import {supportedJavaMajors, type SparkVersion} from './versions.js'

export const DEFAULT_JDK_MIRROR = 'https://download.java.net/java/GA/jdk11/9/GPL'
export const JDK_VERSION = '11.0.2'
export const BREW_JDK_FORMULA = 'openjdk@11'

export interface JavaInfo {
  /** The JAVA_HOME (directory holding bin/java). */
  home: string
  major: number
  /** As printed, e.g. "11.0.2" or "1.8.0_392". */
  version: string
  source: 'JAVA_HOME' | 'PATH' | 'prefix' | 'flag' | 'brew'
}

/** Parse `java -version` output (stderr): `openjdk version "11.0.2" 2019-01-15`, `java version "1.8.0_392"`. */
export function parseJavaVersion(output: string): {major: number; version: string} | undefined {
  const m = /version "([^"]+)"/.exec(output)
  if (!m) return undefined
  const version = m[1]
  const parts = version.split(/[._+-]/)
  const major = parts[0] === '1' ? Number(parts[1]) : Number(parts[0])
  if (!Number.isFinite(major)) return undefined
  return {major, version}
}

/** JAVA_HOME for a `java` binary: /usr/lib/jvm/x/bin/java -> /usr/lib/jvm/x (a Java 8 `jre/` is stripped). */
export function javaHomeFromBinary(realJava: string): string {
  let home = path.dirname(path.dirname(realJava))
  if (path.basename(home) === 'jre' && !realJava.includes('/Contents/Home/')) {
    // /usr/lib/jvm/java-8/jre/bin/java: the JDK is one level up when it has bin/java itself.
    home = path.dirname(home)
  }
  return home
}

/** Run `<home>/bin/java -version` and read the version. */
export async function probeJava(
  platform: Platform,
  home: string,
  source: JavaInfo['source'],
): Promise<JavaInfo | undefined> {
  const bin = path.join(home, 'bin', 'java')
  if (!(await isExecutable(bin))) return undefined
  const r = await platform.run(bin, ['-version'], {timeoutMs: 30_000})
  const v = parseJavaVersion(`${r.stderr}\n${r.stdout}`)
  if (r.code !== 0 || !v) return undefined
  return {home, major: v.major, version: v.version, source}
}

/** Installed Javas, in the order they are preferred: JAVA_HOME, `java` on PATH, a JDK dezc put in the prefix. */
export async function detectJavas(platform: Platform, extraHomes: string[] = []): Promise<JavaInfo[]> {
  const seen = new Set<string>()
  const found: JavaInfo[] = []
  const add = async (home: string | undefined, source: JavaInfo['source']) => {
    if (!home) return
    let real = home
    try {
      real = await fs.realpath(home)
    } catch {
      return
    }
    if (seen.has(real)) return
    seen.add(real)
    const info = await probeJava(platform, home, source)
    if (info) found.push(info)
  }
  await add(platform.env.JAVA_HOME || undefined, 'JAVA_HOME')
  const onPath = await platform.which('java')
  if (onPath) {
    try {
      await add(javaHomeFromBinary(await fs.realpath(onPath)), 'PATH')
    } catch {
      // dangling symlink: ignore
    }
  }
  for (const h of extraHomes) await add(h, 'prefix')
  return found
}

export type JdkPlan =
  | {kind: 'reuse'; java: JavaInfo; note?: string}
  | {
      kind: 'download'
      url: string
      checksumUrl: string
      archiveName: string
      /** Directory the archive extracts to, under the prefix (jdk-11.0.2 or jdk-11.0.2.jdk). */
      dirName: string
      /** JAVA_HOME once extracted. */
      home: string
      major: number
      note?: string
    }
  | {kind: 'brew'; formula: string; brew: string; major: number; note?: string}

export interface PlanJdkInput {
  os: NodeJS.Platform
  arch: string
  /**
   * '11' (download OpenJDK 11), '17' / '21' (reuse an installed Java of that major: dezc downloads no
   * Java 17/21), 'auto' (reuse a suitable installed Java, else OpenJDK 11 when the Spark line runs on
   * it), or a JAVA_HOME path.
   */
  javaMode: string
  spark: SparkVersion
  prefix: string
  jdkMirror: string
  /** From detectJavas (JAVA_HOME, PATH, prefix). */
  detected: JavaInfo[]
  /** The pinned JAVA_HOME when javaMode is a path (probed by the caller), undefined when it has no working java. */
  explicit?: JavaInfo
  /** Path of `brew` when Homebrew exists (macOS). */
  brew?: string
}

/** `--java 17` / `--java 21`: an installed Java of exactly that major (the majors Spark 4 runs on). */
export const REUSE_MAJORS = ['17', '21']

/** The --java of a Spark line when none is given: OpenJDK 11 for 3.x, an installed Java 17/21 for 4.x. */
export function defaultJavaMode(spark: SparkVersion): string {
  return supportedJavaMajors(spark).includes(11) ? '11' : 'auto'
}

export function javaNeededError(spark: SparkVersion, list: string, seen: string, major?: string): DezcError {
  return new DezcError({
    code: 'JAVA_NOT_FOUND',
    message: `Spark ${spark.raw} needs Java ${major ?? list}; ${seen ? `found only ${seen}` : 'no Java was found (JAVA_HOME, java on PATH)'}.`,
    suggestion: [
      `Install Java ${major ?? '17'} (Debian/Ubuntu: sudo apt-get install openjdk-${major ?? '17'}-jdk-headless; macOS: brew install openjdk@${major ?? '17'}), then set JAVA_HOME to it or re-run with --java auto.`,
      'Or pass --java /path/to/jdk (the directory holding bin/java).',
    ],
    exit: ExitCode.PREREQUISITE,
    details: {spark: spark.raw, needs: major ? [Number(major)] : list.split('/').map(Number)},
  })
}

export function isJavaPath(javaMode: string): boolean {
  return javaMode.startsWith('/') || javaMode.startsWith('~') || javaMode.startsWith('.')
}

export function planJdk(input: PlanJdkInput): JdkPlan {
  const supported = supportedJavaMajors(input.spark)
  const list = supported.join('/')
  if (isJavaPath(input.javaMode)) {
    const j = input.explicit
    if (!j)
      throw usageError(
        'JAVA_NOT_FOUND',
        `--java ${input.javaMode}: no working bin/java there.`,
        'Pass a JAVA_HOME directory (the one holding bin/java), or --java auto.',
      )
    if (!supported.includes(j.major)) throw javaUnsupported(j, input.spark, list)
    return {kind: 'reuse', java: {...j, source: 'flag'}}
  }
  let note: string | undefined
  const seenList = () => input.detected.map((j) => `Java ${j.major} (${j.source})`).join(', ')
  if (REUSE_MAJORS.includes(input.javaMode)) {
    const major = Number(input.javaMode)
    if (!supported.includes(major))
      throw usageError(
        'JAVA_UNSUPPORTED',
        `Spark ${input.spark.raw} does not run on Java ${major} (it needs ${list}).`,
        `Pass --java ${supported.includes(11) ? '11' : supported[0]} or --java auto.`,
      )
    const ok = input.detected.find((j) => j.major === major)
    if (ok) return {kind: 'reuse', java: ok}
    throw javaNeededError(input.spark, list, seenList(), input.javaMode)
  }
  if (input.javaMode === 'auto') {
    const ok = input.detected.find((j) => supported.includes(j.major))
    if (ok) return {kind: 'reuse', java: ok}
    const seen = seenList()
    note = seen
      ? `No installed Java suits Spark ${input.spark.raw} (found ${seen}; needs ${list}): installing OpenJDK 11.`
      : `No installed Java found: installing OpenJDK 11.`
    if (!supported.includes(11)) throw javaNeededError(input.spark, list, seen)
  } else if (input.javaMode !== '11') {
    throw usageError(
      'BAD_JAVA_OPTION',
      `--java ${input.javaMode} is not understood.`,
      'Use --java 11 (download OpenJDK 11, the default for Spark 3), --java 17 / --java 21 (an installed Java of that major), --java auto (reuse an installed Java that suits the Spark version; the default for Spark 4) or --java /path/to/jdk.',
    )
  } else if (!supported.includes(11)) {
    throw usageError(
      'JAVA_UNSUPPORTED',
      `Spark ${input.spark.raw} does not run on Java 11 (it needs ${list}); dezc downloads only OpenJDK 11.`,
      'Install Java 17 (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless) and pass --java auto (or --java 17), or --java /path/to/jdk-17.',
    )
  }

  if (input.os === 'darwin' && input.brew) {
    return {kind: 'brew', formula: BREW_JDK_FORMULA, brew: input.brew, major: 11, note}
  }
  // jdk.java.net publishes OpenJDK 11.0.2 for x64 only.
  const osName = input.os === 'darwin' ? 'osx' : input.os === 'linux' ? 'linux' : undefined
  if (!osName || input.arch !== 'x64') {
    throw new DezcError({
      code: 'JDK_UNAVAILABLE',
      message: `There is no OpenJDK ${JDK_VERSION} download for ${input.os}-${input.arch}.`,
      suggestion:
        input.os === 'darwin'
          ? [
              'Install Homebrew (https://brew.sh) so dezc can use `brew install openjdk@11`, or install a JDK 11/17 yourself and re-run with --java auto.',
            ]
          : [
              'Install Java 17 with the package manager (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless) and re-run with --java auto.',
            ],
      exit: ExitCode.PREREQUISITE,
    })
  }
  const archiveName = `openjdk-${JDK_VERSION}_${osName}-x64_bin.tar.gz`
  const url = `${input.jdkMirror.replace(/\/+$/, '')}/${archiveName}`
  const dirName = input.os === 'darwin' ? `jdk-${JDK_VERSION}.jdk` : `jdk-${JDK_VERSION}`
  const home =
    input.os === 'darwin' ? path.join(input.prefix, dirName, 'Contents', 'Home') : path.join(input.prefix, dirName)
  return {kind: 'download', url, checksumUrl: `${url}.sha256`, archiveName, dirName, home, major: 11, note}
}

function javaUnsupported(j: JavaInfo, spark: SparkVersion, list: string): DezcError {
  return usageError(
    'JAVA_UNSUPPORTED',
    `Java ${j.major} at ${j.home} does not suit Spark ${spark.raw} (it needs Java ${list}).`,
    'Pass a JDK of a supported version, or --java 11 to let dezc download OpenJDK 11.',
  )
}

/** JAVA_HOME of Homebrew's openjdk@11 keg. */
export function brewJavaHome(brewFormulaPrefix: string): string {
  return path.join(brewFormulaPrefix, 'libexec', 'openjdk.jdk', 'Contents', 'Home')
}

export function resolveJavaPath(javaMode: string, env: NodeJS.ProcessEnv): string {
  return path.resolve(expandHome(javaMode, env))
}
