/**
 * `dezc spark install`: what the course does by hand in module 5 — a JDK, the Spark distribution,
 * and the environment block in the shell rc — verified, resumable, cached and idempotent.
 *
 * Order matters for "nothing installed on failure": every precondition is checked first (platform,
 * Java decision, prefix and rc writable, version exists), then all archives are downloaded and
 * verified, and only then extracted (each into a temp dir renamed into place) and the rc written.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {download, fetchText, formatProgress, type DownloadProgress, type DownloadResult} from '../core/download.js'
import {DezcError, ExitCode, InterruptedError, systemErrorCode} from '../core/errors.js'
import {runTasks, type Task} from '../core/tasks.js'
import {formatBytes} from '../core/units.js'
import type {Ui} from '../core/ui.js'
import {
  brewJavaHome,
  detectJavas,
  isJavaPath,
  JDK_VERSION,
  planJdk,
  probeJava,
  resolveJavaPath,
  REUSE_MAJORS,
  type JavaInfo,
} from './java.js'
import {planSpark, plannedPy4jZip, sparkTargets, type SparkObserved, type SparkPlan, type SparkTargets} from './plan.js'
import {isExecutable, type Platform} from './platform.js'
import {checkRcWritable, readRc, renderBlock, upsertBlock, writeRc, type Shell} from './rc.js'
import type {SparkSettings} from './settings.js'
import {
  parseSha256File,
  parseSha512File,
  parseSparkIndex,
  sparkDistName,
  sparkIndexUrl,
  py4jVersionFromName,
  type SparkVersion,
} from './versions.js'

export interface InstallOptions extends SparkSettings {
  cacheDir: string
  dryRun: boolean
  platform: Platform
  ui: Ui
  signal: AbortSignal
}

export interface InstallResult {
  /** False when everything was already in place (or under --dry-run). */
  changed: boolean
  dryRun: boolean
  version: string
  sparkHome: string
  javaHome: string
  java: {source: string; major: number; version?: string}
  py4j?: string
  rcFile: string
  shell: Shell
  /** What was done (or, under --dry-run, would be done), in order. */
  actions: string[]
  downloads: Array<{url: string; path: string; bytes: number; fromCache: boolean; resumedFrom: number}>
  /** Under --dry-run: the equivalent manual shell commands. */
  commands?: string[]
  /** The rc block as written (or to be written). */
  block?: string
  notes: string[]
}

const SPARK_HINT = 'The Spark archive URL comes from --mirror (DEZC_SPARK_MIRROR, spark.mirror in the config).'
const JDK_HINT =
  'The JDK URL comes from --jdk-mirror (DEZC_SPARK_JDK_MIRROR, spark.jdkMirror); offline, install a JDK 11/17 and pass --java auto instead.'

/** Everything planSpark needs to know about the machine; reads only. */
export async function observeSpark(o: InstallOptions, t: SparkTargets): Promise<SparkObserved> {
  const {platform} = o
  // Java: what is installed, then the decision.
  const prefixJdks = [
    path.join(o.prefix, `jdk-${JDK_VERSION}`),
    path.join(o.prefix, `jdk-${JDK_VERSION}.jdk`, 'Contents', 'Home'),
  ]
  // Only `--java auto` chooses among installed Javas; probing them starts a JVM each, so skip it otherwise.
  const detected = o.java === 'auto' || REUSE_MAJORS.includes(o.java) ? await detectJavas(platform, prefixJdks) : []
  let explicit: JavaInfo | undefined
  if (isJavaPath(o.java)) explicit = await probeJava(platform, resolveJavaPath(o.java, platform.env), 'flag')
  const brew = platform.os === 'darwin' ? await platform.which('brew') : undefined
  // The decision is pure (java.ts); it says which JDK to look for below.
  const jdk = planJdk({
    os: platform.os,
    arch: platform.arch,
    javaMode: o.java,
    spark: t.spark,
    prefix: o.prefix,
    jdkMirror: o.jdkMirror,
    detected,
    explicit,
    brew,
  })

  let javaHome: string | undefined
  let jdkInstalled = false
  let brewHome: string | undefined
  if (jdk.kind === 'reuse') {
    javaHome = jdk.java.home
    jdkInstalled = true
  } else if (jdk.kind === 'download') {
    javaHome = jdk.home
    jdkInstalled = await isExecutable(path.join(jdk.home, 'bin', 'java'))
  } else {
    const keg = await platform.run(jdk.brew, ['--prefix', jdk.formula], {timeoutMs: 60_000})
    if (keg.code === 0 && keg.stdout.trim()) {
      const h = brewJavaHome(keg.stdout.trim())
      brewHome = h
      if (await isExecutable(path.join(h, 'bin', 'java'))) {
        javaHome = h
        jdkInstalled = true
      }
    }
  }

  const py4jZip = await findPy4j(t.sparkHome)
  const sparkInstalled = (await isExecutable(path.join(t.sparkHome, 'bin', 'spark-submit'))) && py4jZip !== undefined
  return {jdk, javaHome, jdkInstalled, brewHome, sparkInstalled, py4jZip, rcText: await readRc(t.rcFile)}
}

/** The plan for these options (what `--dry-run` shows); observing changes nothing. */
export async function planInstall(o: InstallOptions): Promise<SparkPlan> {
  const t = sparkTargets(o)
  return planSpark(o, t, await observeSpark(o, t))
}

/** The py4j zip shipped in `$SPARK_HOME/python/lib`, e.g. py4j-0.10.9.5-src.zip. */
export async function findPy4j(sparkHome: string): Promise<string | undefined> {
  try {
    const names = await fs.readdir(path.join(sparkHome, 'python', 'lib'))
    return names
      .filter((n) => py4jVersionFromName(n) !== undefined)
      .sort()
      .pop()
  } catch {
    return undefined
  }
}

export async function installSpark(o: InstallOptions): Promise<InstallResult> {
  const plan = await planInstall(o)
  const {ui} = o
  const notes = plan.notes
  for (const n of notes) ui.reporter.info(n)
  const base = {
    version: plan.spark.raw,
    sparkHome: plan.sparkHome,
    java: plan.java,
    rcFile: plan.rcFile,
    shell: plan.shell,
    notes,
  }

  // Everything in place? Same block, same homes, both installed: change nothing.
  if (plan.upToDate) {
    return {
      ...base,
      changed: false,
      dryRun: o.dryRun,
      javaHome: plan.javaHome!,
      py4j: py4jVersionFromName(plan.py4jZip!),
      actions: [],
      downloads: [],
      block: plan.block,
    }
  }

  if (o.dryRun) {
    const javaHome = plan.javaHome ?? plan.brewHome ?? ''
    return {
      ...base,
      changed: false,
      dryRun: true,
      javaHome,
      py4j: py4jVersionFromName(plannedPy4jZip(plan, plan)),
      actions: plan.actions,
      downloads: [],
      commands: plan.commands,
      block: plan.block,
    }
  }

  await checkPrefixWritable(o.prefix)
  await checkRcWritable(plan.rcFile)

  // The published checksums, before asking anything: an unknown version fails here.
  const {jdkDownload, jdkBrew} = plan
  const sums: {spark?: string; jdk?: string} = {}
  if (!plan.sparkInstalled) sums.spark = await sparkChecksum(o, plan)
  if (jdkDownload) {
    const text = await fetchText(jdkDownload.checksumUrl, o.signal, JDK_HINT)
    sums.jdk = text === undefined ? undefined : parseSha256File(text)
    if (!sums.jdk) throw checksumMissing(jdkDownload.checksumUrl, text === undefined)
  }

  const what = [
    plan.sparkInstalled ? undefined : `Spark ${plan.spark.raw}`,
    plan.jdkInstalled
      ? undefined
      : plan.jdk.kind === 'brew'
        ? `${plan.jdk.formula} (Homebrew)`
        : `OpenJDK ${JDK_VERSION}`,
  ].filter(Boolean)
  const question =
    what.length > 0
      ? `Install ${what.join(' and ')} into ${o.prefix} and set up ${plan.rcFile}?`
      : `Update the dezc block in ${plan.rcFile}?`
  const ok = await ui.prompter.confirm({message: question, default: true})
  if (!ok) throw new DezcError({code: 'DECLINED', message: 'Nothing was installed.', exit: ExitCode.DECLINED})

  interface Ctx {
    jdkDl?: DownloadResult
    sparkDl?: DownloadResult
    javaHome?: string
    py4jZip?: string
    rcAction?: string
  }
  const ctx: Ctx = {javaHome: plan.javaHome, py4jZip: plan.py4jZip}

  // The two downloads run side by side (two hosts in real life), and so do the two extractions
  // (CPU-bound gunzip); everything is verified before anything is extracted. When one download
  // fails the other stops too (its partial file is kept for the next run).
  const dl = new AbortController()
  const stopAll = () => dl.abort(o.signal.reason)
  if (o.signal.aborted) stopAll()
  else o.signal.addEventListener('abort', stopAll, {once: true})
  const failFast = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p
    } catch (error) {
      dl.abort(o.signal.aborted ? o.signal.reason : new InterruptedError())
      throw error
    }
  }
  const downloadTasks: Task<Ctx>[] = [
    {
      title: `Download OpenJDK ${JDK_VERSION}`,
      enabled: () => jdkDownload !== undefined,
      task: async (c, task) => {
        const d = jdkDownload!
        const dest = plan.jdkArchive!
        c.jdkDl = await failFast(
          download({
            url: d.url,
            dest,
            checksum: {algorithm: 'sha256', hex: sums.jdk!},
            hint: JDK_HINT,
            signal: dl.signal,
            onProgress: progress(ui, `OpenJDK ${JDK_VERSION}`, (s) => (task.output = s)),
          }),
        )
        task.title = `${c.jdkDl.fromCache ? 'Cached' : 'Downloaded'} and verified OpenJDK ${JDK_VERSION} (${formatBytes(c.jdkDl.bytes)})`
      },
    },
    {
      title: `Download Spark ${plan.spark.raw}`,
      enabled: () => !plan.sparkInstalled,
      task: async (c, task) => {
        c.sparkDl = await failFast(
          download({
            url: plan.sparkUrl,
            dest: plan.sparkArchive,
            checksum: {algorithm: 'sha512', hex: sums.spark!},
            hint: SPARK_HINT,
            signal: dl.signal,
            onProgress: progress(ui, `Spark ${plan.spark.raw}`, (s) => (task.output = s)),
          }),
        )
        task.title = `${c.sparkDl.fromCache ? 'Cached' : 'Downloaded'} and verified Spark ${plan.spark.raw} (${formatBytes(c.sparkDl.bytes)})`
      },
    },
  ]
  const extractTasks: Task<Ctx>[] = [
    {
      title: `Extract OpenJDK ${JDK_VERSION} into ${o.prefix}`,
      enabled: () => jdkDownload !== undefined,
      task: async (c) => extractAtomically(c.jdkDl!.path, o.prefix, jdkDownload!.dirName),
    },
    {
      title: `Extract Spark ${plan.spark.raw} into ${o.prefix}`,
      enabled: () => !plan.sparkInstalled,
      task: async (c) => {
        await extractAtomically(c.sparkDl!.path, o.prefix, plan.distName)
        c.py4jZip = await findPy4j(plan.sparkHome)
        if (!c.py4jZip)
          throw new DezcError({
            code: 'ARCHIVE_LAYOUT',
            message: `${plan.sparkHome}/python/lib holds no py4j-*-src.zip: this is not a Spark distribution.`,
            suggestion: 'Check the mirror serves the official archives.',
          })
      },
    },
  ]
  const tasks: Task<Ctx>[] = [
    {
      title: 'Download and verify',
      enabled: () => jdkDownload !== undefined || !plan.sparkInstalled,
      task: (_c, task) => task.newListr(downloadTasks, {concurrent: true, exitOnError: true}),
    },
    {
      title: `brew install ${jdkBrew?.formula ?? ''}`,
      enabled: () => jdkBrew !== undefined,
      task: async (c, task) => {
        const b = jdkBrew!
        const r = await o.platform.run(b.brew, ['install', b.formula], {
          signal: o.signal,
          onLine: (l) => (task.output = l),
        })
        if (r.code !== 0)
          throw new DezcError({
            code: 'BREW_FAILED',
            message: `brew install ${b.formula} failed (exit ${r.code}): ${lastLine(r.stderr)}`,
            suggestion: `Run \`brew install ${b.formula}\` yourself to see why, then re-run; or pass --java auto / --java PATH.`,
          })
        const keg = await o.platform.run(b.brew, ['--prefix', b.formula], {timeoutMs: 60_000})
        c.javaHome = brewJavaHome(keg.stdout.trim())
      },
    },
    {
      title: `Extract into ${o.prefix}`,
      enabled: () => jdkDownload !== undefined || !plan.sparkInstalled,
      task: (_c, task) => task.newListr(extractTasks, {concurrent: true, exitOnError: true}),
    },
    {
      title: `Write the environment block to ${plan.rcFile}`,
      task: async (c, task) => {
        const block = renderBlock(plan.shell, {javaHome: c.javaHome!, sparkHome: plan.sparkHome, py4jZip: c.py4jZip!})
        const next = upsertBlock(plan.rcText, block)
        if (next === plan.rcText) {
          task.skip('rc block already up to date')
          return
        }
        await writeRc(plan.rcFile, next)
        c.rcAction = `${plan.rcHasBlock ? 'updated' : 'added'} the dezc block in ${plan.rcFile}`
      },
    },
  ]
  // Stop between steps on Ctrl-C (an extraction in progress finishes; nothing after it starts).
  const guarded = tasks.map((t): Task<Ctx> => ({
    ...t,
    task: (c, task) => {
      if (o.signal.aborted) throw new InterruptedError()
      return t.task(c, task)
    },
  }))
  try {
    await runTasks(ui, guarded, ctx)
  } finally {
    o.signal.removeEventListener('abort', stopAll)
  }

  // Everything succeeded: report it in a fixed order.
  const actions: string[] = []
  const downloads: InstallResult['downloads'] = []
  for (const [r, url] of [
    [ctx.jdkDl, jdkDownload?.url],
    [ctx.sparkDl, plan.sparkUrl],
  ] as const) {
    if (!r || !url) continue
    downloads.push({url, path: r.path, bytes: r.bytes, fromCache: r.fromCache, resumedFrom: r.resumedFrom})
    actions.push(
      r.fromCache
        ? `reused cached ${r.path}`
        : `downloaded ${url} (${formatBytes(r.bytes)}${r.resumedFrom ? `, resumed at ${formatBytes(r.resumedFrom)}` : ''})`,
    )
  }
  if (jdkBrew) actions.push(`brew install ${jdkBrew.formula}`)
  if (jdkDownload) actions.push(`extracted ${path.join(o.prefix, jdkDownload.dirName)}`)
  if (!plan.sparkInstalled) actions.push(`extracted ${plan.sparkHome}`)
  if (ctx.rcAction) actions.push(ctx.rcAction)
  const block = renderBlock(plan.shell, {javaHome: ctx.javaHome!, sparkHome: plan.sparkHome, py4jZip: ctx.py4jZip!})
  return {
    ...base,
    changed: true,
    dryRun: false,
    javaHome: ctx.javaHome!,
    py4j: py4jVersionFromName(ctx.py4jZip!),
    actions,
    downloads,
    block,
  }
}

async function sparkChecksum(o: InstallOptions, plan: SparkPlan): Promise<string> {
  const url = `${plan.sparkUrl}.sha512`
  const text = await fetchText(url, o.signal, SPARK_HINT)
  if (text === undefined) throw await unknownVersion(o, plan.spark)
  const hex = parseSha512File(text, path.basename(plan.sparkArchive))
  if (!hex) throw checksumMissing(url, false)
  return hex
}

/** The version is not on the mirror: say which ones are, from the mirror's directory index. */
async function unknownVersion(o: InstallOptions, v: SparkVersion): Promise<DezcError> {
  let available: string[] = []
  try {
    const html = await fetchText(sparkIndexUrl(o.mirror), o.signal)
    if (html) available = parseSparkIndex(html)
  } catch {
    // the listing is a courtesy; the error below stands without it
  }
  const archive = `${sparkDistName(v)}.tgz`
  return new DezcError({
    code: 'UNKNOWN_SPARK_VERSION',
    message: `Spark ${v.raw} (${archive}) is not on ${o.mirror}.`,
    suggestion:
      available.length > 0
        ? [
            `Versions on that mirror: ${available.join(', ')}.`,
            `Pass one with --version (the 2023 course uses 3.3.2, the 2026 course 4.0.1).`,
          ]
        : ['Check the version and the --mirror URL (its spark/ directory could not be listed).'],
    exit: ExitCode.USAGE,
    details: {version: v.raw, mirror: o.mirror, available},
  })
}

function checksumMissing(url: string, notFound: boolean): DezcError {
  return new DezcError({
    code: 'CHECKSUM_MISSING',
    message: notFound
      ? `The checksum file ${url} is missing on the mirror.`
      : `${url} does not hold a checksum dezc can read.`,
    suggestion:
      'dezc installs only verified archives: use a mirror that publishes the checksum files beside them. Nothing was installed.',
  })
}

/**
 * Progress lines: every update on a live terminal (shown under the task), about every 10% in plain
 * logs, where the two concurrent downloads interleave and so each line names its file.
 */
function progress(ui: Ui, label: string, set: (s: string) => void): (p: DownloadProgress) => void {
  let lastBucket = -1
  return (p) => {
    if (ui.renderer === 'default') return set(formatProgress(p))
    const bucket = p.total ? Math.floor((p.received / p.total) * 10) : Math.floor(p.received / (50 * 1024 * 1024))
    if (bucket !== lastBucket) {
      lastBucket = bucket
      set(`${label}: ${formatProgress(p)}`)
    }
  }
}

async function checkPrefixWritable(prefix: string): Promise<void> {
  let dir = prefix
  for (;;) {
    try {
      const st = await fs.stat(dir)
      if (!st.isDirectory()) throw prefixError(prefix, `${dir} is not a directory`, undefined)
      await fs.access(dir, fs.constants.W_OK)
      return
    } catch (error) {
      if (error instanceof DezcError) throw error
      if (systemErrorCode(error) === 'ENOENT' && path.dirname(dir) !== dir) {
        dir = path.dirname(dir)
        continue
      }
      throw prefixError(prefix, `no write permission on ${dir}`, error)
    }
  }
}

function prefixError(prefix: string, why: string, cause: unknown): DezcError {
  return new DezcError({
    code: 'PREFIX_NOT_WRITABLE',
    message: `Cannot install into ${prefix}: ${why}.`,
    suggestion: ['Pass a --prefix you own (the default is ~/spark), or fix the permissions.', 'Nothing was installed.'],
    exit: ExitCode.PREREQUISITE,
    cause,
  })
}

/** Extract into `<prefix>/.dezc-extract-*`, check the expected top directory, rename it into place. */
export async function extractAtomically(archive: string, prefix: string, dirName: string): Promise<void> {
  await fs.mkdir(prefix, {recursive: true})
  const tmp = await fs.mkdtemp(path.join(prefix, '.dezc-extract-'))
  try {
    const tar = await import('tar')
    try {
      await tar.x({file: archive, cwd: tmp, strict: true})
    } catch (error) {
      throw new DezcError({
        code: 'EXTRACT_FAILED',
        message: `Cannot extract ${archive}: ${(error as Error).message}.`,
        suggestion: `Delete ${archive} and re-run to download it again.`,
        cause: error,
      })
    }
    const top = path.join(tmp, dirName)
    try {
      await fs.access(top)
    } catch {
      const found = await fs.readdir(tmp)
      throw new DezcError({
        code: 'ARCHIVE_LAYOUT',
        message: `${path.basename(archive)} does not contain ${dirName}/ (found: ${found.join(', ') || 'nothing'}).`,
        suggestion: 'Check the mirror serves the official archives.',
      })
    }
    const dest = path.join(prefix, dirName)
    // A broken earlier copy (e.g. no spark-submit) is replaced: move it into tmp, removed below.
    await fs.rename(dest, path.join(tmp, '.old')).catch((error) => {
      if (systemErrorCode(error) !== 'ENOENT') throw error
    })
    await fs.rename(top, dest)
  } finally {
    await fs.rm(tmp, {recursive: true, force: true})
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() ?? ''
}
