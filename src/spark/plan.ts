/**
 * What `dezc spark install` will do, as a pure function of the settings and what was observed:
 * which archives to download and verify, what to extract, which rc block to write, and the
 * equivalent manual commands (--dry-run prints them; the service carries out the same plan).
 */
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {JDK_VERSION, type JdkPlan} from './java.js'
import {homeDir} from './platform.js'
import {defaultRcFile, detectShell, findBlocks, renderBlock, type Shell} from './rc.js'
import type {SparkSettings} from './settings.js'
import {expectedPy4j, parseSparkVersion, sparkArchiveUrl, sparkDistName, type SparkVersion} from './versions.js'

const SUPPORTED = new Set(['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'])

export function checkPlatform(os: string, arch: string): void {
  if (SUPPORTED.has(`${os}-${arch}`)) return
  throw new DezcError({
    code: 'UNSUPPORTED_PLATFORM',
    message: `dezc spark install supports Linux and macOS on x64/arm64, not ${os}-${arch}.`,
    suggestion:
      os === 'win32'
        ? 'On Windows run dezc inside WSL 2 (Ubuntu), which is what the course recommends for Spark.'
        : 'Install a JDK and Spark by hand following the course notes (module 5).',
    exit: ExitCode.PREREQUISITE,
  })
}

export interface PlanInput extends SparkSettings {
  cacheDir: string
  platform: {os: string; arch: string; env: NodeJS.ProcessEnv}
}

/** Where things go: known from the settings alone, before anything is looked at. */
export interface SparkTargets {
  spark: SparkVersion
  distName: string
  sparkHome: string
  sparkUrl: string
  sparkArchive: string
  shell: Shell
  shellGuessed: boolean
  rcFile: string
}

export function sparkTargets(o: PlanInput): SparkTargets {
  const {platform} = o
  checkPlatform(platform.os, platform.arch)
  const spark = parseSparkVersion(o.version)
  const home = homeDir(platform.env)
  const detectedShell = o.shell ? {shell: o.shell, guessed: false} : detectShell(platform.env, o.rcFile)
  const rcFile = o.rcFile ?? defaultRcFile(detectedShell.shell, home, platform.env)
  const distName = sparkDistName(spark)
  return {
    spark,
    distName,
    sparkHome: path.join(o.prefix, distName),
    sparkUrl: sparkArchiveUrl(o.mirror, spark),
    sparkArchive: path.join(o.cacheDir, 'spark', `${distName}.tgz`),
    shell: detectedShell.shell,
    shellGuessed: detectedShell.guessed,
    rcFile,
  }
}

/** What is on the machine now (read-only). */
export interface SparkObserved {
  /** The JDK decision over the Javas found (planJdk). */
  jdk: JdkPlan
  /** JAVA_HOME the block will export (known up front except for a brew JDK not yet installed). */
  javaHome?: string
  jdkInstalled: boolean
  /** Where Homebrew's JDK keg's JAVA_HOME is (installed or not). */
  brewHome?: string
  sparkInstalled: boolean
  py4jZip?: string
  rcText: string
}

export type JdkDownload = Extract<JdkPlan, {kind: 'download'}>
export type JdkBrew = Extract<JdkPlan, {kind: 'brew'}>

export interface SparkPlan extends SparkTargets, SparkObserved {
  prefix: string
  notes: string[]
  java: {source: string; major: number; version?: string}
  /** Both installed and the rc holds exactly this block: nothing to do. */
  upToDate: boolean
  /** OpenJDK to download, verify and extract. */
  jdkDownload?: JdkDownload
  jdkArchive?: string
  /** Homebrew formula to install. */
  jdkBrew?: JdkBrew
  /** The rc already holds a dezc block (replaced, not added). */
  rcHasBlock: boolean
  /** The block to write; the py4j name is a guess until Spark is extracted. */
  block: string
  /** What would be done, in order, and the same as shell commands. */
  actions: string[]
  commands: string[]
}

export function planSpark(o: PlanInput, t: SparkTargets, seen: SparkObserved): SparkPlan {
  const jdk = seen.jdk
  const notes: string[] = []
  if (jdk.note) notes.push(jdk.note)
  if (t.shellGuessed)
    notes.push(
      `Could not tell the shell from $SHELL; writing bash syntax to ${t.rcFile} (pass --shell or --rc-file to choose).`,
    )
  const java =
    jdk.kind === 'reuse'
      ? {source: jdk.java.source, major: jdk.java.major, version: jdk.java.version}
      : {
          source: jdk.kind === 'brew' ? `brew ${jdk.formula}` : 'download',
          major: jdk.major,
          version: jdk.kind === 'download' ? JDK_VERSION : undefined,
        }
  const rcHasBlock = findBlocks(seen.rcText).length > 0

  let upToDate = false
  if (seen.sparkInstalled && seen.jdkInstalled && seen.javaHome && seen.py4jZip) {
    const block = renderBlock(t.shell, {javaHome: seen.javaHome, sparkHome: t.sparkHome, py4jZip: seen.py4jZip})
    const blocks = findBlocks(seen.rcText)
    upToDate = blocks.length === 1 && blocks[0].text.trimEnd() === block.trimEnd()
  }

  const jdkDownload = jdk.kind === 'download' && !seen.jdkInstalled ? jdk : undefined
  const jdkBrew = jdk.kind === 'brew' && !seen.jdkInstalled ? jdk : undefined
  const jdkArchive = jdkDownload ? path.join(o.cacheDir, 'jdk', jdkDownload.archiveName) : undefined
  const actions: string[] = []
  const commands: string[] = [`mkdir -p ${q(o.prefix)}`]
  if (jdkDownload && jdkArchive) {
    actions.push(
      `download ${jdkDownload.url} to ${jdkArchive} and verify it against ${jdkDownload.checksumUrl}`,
      `extract it to ${path.join(o.prefix, jdkDownload.dirName)}`,
    )
    commands.push(
      `curl -fL -C - -o ${q(jdkArchive)} ${jdkDownload.url}`,
      `echo "$(curl -fsSL ${jdkDownload.checksumUrl})  ${jdkArchive}" | sha256sum -c -`,
      `tar -xzf ${q(jdkArchive)} -C ${q(o.prefix)}`,
    )
  } else if (jdkBrew) {
    actions.push(`brew install ${jdkBrew.formula}`)
    commands.push(`brew install ${jdkBrew.formula}`)
  }
  if (!seen.sparkInstalled) {
    actions.push(
      `download ${t.sparkUrl} to ${t.sparkArchive} and verify it against ${t.sparkUrl}.sha512`,
      `extract it to ${t.sparkHome}`,
    )
    commands.push(
      `curl -fL -C - -o ${q(t.sparkArchive)} ${t.sparkUrl}`,
      `curl -fsSL -o ${q(t.sparkArchive)}.sha512 ${t.sparkUrl}.sha512`,
      `sha512sum ${q(t.sparkArchive)}   # compare with the digest in ${path.basename(t.sparkArchive)}.sha512 (3.3.x prints it upper-case in groups)`,
      `tar -xzf ${q(t.sparkArchive)} -C ${q(o.prefix)}`,
    )
  }
  const known = plannedPy4jZip(t, seen)
  const block = renderBlock(t.shell, {
    javaHome: seen.javaHome ?? seen.brewHome ?? '',
    sparkHome: t.sparkHome,
    py4jZip: known,
  })
  actions.push(
    `${rcHasBlock ? 'replace' : 'add'} the dezc block in ${t.rcFile}${seen.py4jZip ? '' : ' (the py4j name is read from the extracted python/lib/)'}`,
  )
  commands.push(`cat >> ${q(t.rcFile)} <<'EOF'\n${block}EOF`)
  return {
    ...t,
    ...seen,
    prefix: o.prefix,
    notes,
    java,
    upToDate,
    ...(jdkDownload ? {jdkDownload, jdkArchive} : {}),
    ...(jdkBrew ? {jdkBrew} : {}),
    rcHasBlock,
    block,
    actions,
    commands,
  }
}

/** The py4j zip the block names: the extracted one, else the one this Spark version ships. */
export function plannedPy4jZip(t: SparkTargets, seen: Pick<SparkObserved, 'py4jZip'>): string {
  return seen.py4jZip ?? (expectedPy4j(t.spark) ? `py4j-${expectedPy4j(t.spark)}-src.zip` : 'py4j-<version>-src.zip')
}

function q(p: string): string {
  return /^[\w@%+=:,./~-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`
}
