/**
 * `dezc tf install`: the official terraform release for this OS and architecture, from
 * `<mirror>/<v>/terraform_<v>_<os>_<arch>.zip`, verified against `terraform_<v>_SHA256SUMS`
 * beside it, cached (an interrupted download resumes with an HTTP Range request), unpacked
 * into a user bin directory (mode 0755, atomic rename). A checksum mismatch deletes the
 * download and installs nothing. The SUMS file's GPG signature is not checked (see docs/tf.md).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode, usageError} from '../core/errors.js'
import {takeCredentials} from '../core/urls.js'
import type {Ui} from '../core/ui.js'
import {cacheDir} from '../config/paths.js'
import {installAction, planInstall} from './plan.js'
import {DEFAULT_TERRAFORM_VERSION, type InstallSettings} from './settings.js'
import {capture, compareVersions, findOnPath, parseVersionOutput, terraformExeName} from './terraform.js'
import {extractFile, ZipError} from './zip.js'

export interface InstallOptions {
  settings: InstallSettings
  force: boolean
  dryRun: boolean
  ui: Ui
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  platform?: NodeJS.Platform
  arch?: string
}

export interface InstallResult {
  version: string
  os: string
  arch: string
  url: string
  sumsUrl: string
  path: string
  action: 'installed' | 'reinstalled' | 'unchanged' | 'dry-run'
  sha256?: string
  /** The zip came from dezc's download cache. */
  fromCache?: boolean
  bytes?: number
  onPath: boolean
  /** Another terraform that PATH finds first. */
  shadowedBy?: string
  pathHint?: string[]
}

const OS: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
}
const ARCH: Record<string, string> = {x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm'}

export function releasePlatform(platform: NodeJS.Platform, arch: string): {os: string; arch: string} {
  const os = OS[platform]
  const a = ARCH[arch]
  if (!os || !a) {
    throw new DezcError({
      code: 'TF_PLATFORM_UNSUPPORTED',
      message: `terraform publishes no release for ${platform}/${arch}.`,
      suggestion: 'See https://developer.hashicorp.com/terraform/install for other ways to install it.',
      exit: ExitCode.PREREQUISITE,
    })
  }
  return {os, arch: a}
}

/** Parse a SHA256SUMS file: `<64 hex>  <file name>` per line. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const m = line.trim().match(/^([0-9a-fA-F]{64})\s+\*?(\S+)$/)
    if (m) sums.set(m[2], m[1].toLowerCase())
  }
  return sums
}

async function fetchOrFail(rawUrl: string, signal: AbortSignal, init: RequestInit = {}): Promise<Response> {
  const {url, headers} = takeCredentials(rawUrl)
  try {
    return await fetch(url, {
      ...init,
      headers: {...headers, ...(init.headers as Record<string, string> | undefined)},
      signal: AbortSignal.any([signal, AbortSignal.timeout(60_000)]),
      redirect: 'follow',
    })
  } catch (error) {
    if (signal.aborted) throw error
    throw new DezcError({
      code: 'TF_MIRROR_UNREACHABLE',
      message: `Cannot reach ${url}: ${(error as Error & {cause?: Error}).cause?.message ?? (error as Error).message}`,
      suggestion: [
        'Check the network (a proxy needs HTTPS_PROXY), or use another mirror with --mirror / DEZC_TF_MIRROR / config tf.mirror.',
      ],
      exit: ExitCode.FAILURE,
      cause: error,
    })
  }
}

/** Versions the mirror lists in its index.json (releases.hashicorp.com layout), newest first; [] when unavailable. */
export async function mirrorVersions(mirror: string, signal: AbortSignal): Promise<string[]> {
  try {
    const {url, headers} = takeCredentials(`${mirror}/index.json`)
    const r = await fetch(url, {headers, signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)])})
    if (!r.ok) return []
    const j = (await r.json()) as {versions?: Record<string, unknown>}
    return Object.keys(j.versions ?? {})
      .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
      .sort((a, b) => compareVersions(b, a))
  } catch {
    return []
  }
}

/** "latest" is the newest version the mirror's index lists (not looked up under --dry-run). */
async function resolveVersion(opts: InstallOptions, mirror: string): Promise<string> {
  const v = opts.settings.version
  if (v !== 'latest' || opts.dryRun) return v
  const versions = await mirrorVersions(mirror, opts.signal)
  if (versions.length === 0)
    throw usageError(
      'TF_VERSION_UNKNOWN',
      `The mirror ${mirror} has no index.json listing its versions, so "latest" cannot be resolved.`,
      'Pass an exact version, e.g. --version ' + DEFAULT_TERRAFORM_VERSION,
    )
  return versions[0]
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size
  } catch {
    return undefined
  }
}

export function pathHint(binDir: string, env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? ''
  const shown = home && binDir.startsWith(home + path.sep) ? `$HOME${binDir.slice(home.length)}` : binDir
  const shell = path.basename(env.SHELL ?? '')
  if (shell === 'fish') return [`fish_add_path ${shown}`]
  const rc = shell === 'zsh' ? '~/.zshrc' : '~/.bashrc'
  return [`echo 'export PATH="${shown}:$PATH"' >> ${rc}`, `then open a new shell, or run: export PATH="${shown}:$PATH"`]
}

export async function installTerraform(opts: InstallOptions): Promise<InstallResult> {
  const {ui, env, signal} = opts
  const platform = opts.platform ?? process.platform
  const rel = releasePlatform(platform, opts.arch ?? process.arch)
  const {mirror, binDir} = opts.settings
  const version = await resolveVersion(opts, mirror)
  const exeName = terraformExeName(platform)
  const plan = planInstall({mirror, version, os: rel.os, arch: rel.arch, binDir, exeName})
  const {zipName, url, sumsUrl, path: target} = plan
  const onPathNow = await findOnPath(exeName, env)
  const base = {version, os: rel.os, arch: rel.arch, url, sumsUrl, path: target}
  const pathInfo = (): Pick<InstallResult, 'onPath' | 'shadowedBy' | 'pathHint'> => {
    const dirs = (env.PATH ?? '').split(path.delimiter).map((d) => path.resolve(d))
    const onPath = dirs.includes(binDir)
    const shadowedBy =
      onPathNow && onPathNow !== target && dirs.indexOf(path.dirname(onPathNow)) < dirs.indexOf(binDir)
        ? onPathNow
        : undefined
    return {onPath, ...(shadowedBy && onPath ? {shadowedBy} : {}), ...(onPath ? {} : {pathHint: pathHint(binDir, env)})}
  }
  if (opts.dryRun) return {...base, action: 'dry-run', ...pathInfo()}

  // Already there? (idempotent re-run)
  let existing: string | undefined
  try {
    await fs.access(target, fs.constants.X_OK)
    existing = parseVersionOutput(
      (await capture(target, ['version', '-json'], {env, timeoutMs: 30_000})).stdout,
    ).version
  } catch {
    existing = undefined
  }
  const action = installAction(existing, version, opts.force)
  if (action === 'unchanged') {
    ui.reporter.info(`terraform ${version} is already installed at ${target}; nothing to do (--force reinstalls).`)
    return {...base, action: 'unchanged', ...pathInfo()}
  }

  // The published checksums.
  const sumsRes = await fetchOrFail(sumsUrl, signal)
  if (sumsRes.status === 404) {
    await sumsRes.body?.cancel()
    const versions = await mirrorVersions(mirror, signal)
    throw usageError(
      'TF_VERSION_UNKNOWN',
      `terraform ${version} is not on ${mirror} (no ${path.basename(sumsUrl)}).`,
      versions.length > 0
        ? `Versions the mirror has (newest first): ${versions.slice(0, 12).join(', ')}${versions.length > 12 ? ', ...' : ''}`
        : `Check the version, e.g. --version ${DEFAULT_TERRAFORM_VERSION}.`,
    )
  }
  if (!sumsRes.ok) {
    await sumsRes.body?.cancel()
    throw new DezcError({
      code: 'TF_DOWNLOAD_FAILED',
      message: `Fetching ${sumsUrl} failed: HTTP ${sumsRes.status} ${sumsRes.statusText}`,
      suggestion: 'Retry later, or use another mirror with --mirror.',
      exit: ExitCode.FAILURE,
    })
  }
  const sums = parseSums(await sumsRes.text())
  const expected = sums.get(zipName)
  if (!expected) {
    const platforms = [...sums.keys()].map((k) => k.match(/_([a-z0-9]+_[a-z0-9]+)\.zip$/)?.[1]).filter(Boolean)
    throw new DezcError({
      code: 'TF_PLATFORM_UNSUPPORTED',
      message: `terraform ${version} has no release for ${rel.os}_${rel.arch} (${path.basename(sumsUrl)} lists no ${zipName}).`,
      suggestion:
        platforms.length > 0 ? `Platforms of ${version}: ${platforms.join(', ')}` : 'Check the mirror content.',
      exit: ExitCode.PREREQUISITE,
    })
  }

  // Download (or reuse the cached, verified zip).
  const dlDir = path.join(cacheDir(env), 'terraform')
  await fs.mkdir(dlDir, {recursive: true})
  const zipPath = path.join(dlDir, zipName)
  // One downloader for all of dezc: cached by checksum, resumed with Range, locked against a second dezc.
  const [{download, ChecksumMismatchError, formatProgress}, {mb}] = await Promise.all([
    import('../core/download.js'),
    import('../core/units.js'),
  ])
  const resuming = ((await fileSize(`${zipPath}.part`)) ?? 0) > 0
  const t0 = Date.now()
  let lastReport = t0
  let fromCache: boolean
  let bytes: number
  try {
    const r = await download({
      url,
      dest: zipPath,
      checksum: {algorithm: 'sha256', hex: expected},
      signal,
      hint: 'Or use another mirror with --mirror / DEZC_TF_MIRROR / config tf.mirror.',
      onWait: (h) => ui.reporter.info(`Another dezc (pid ${h.pid}) is downloading ${zipName}; waiting for it.`),
      onProgress: (p) => {
        if (p.received === p.resumedFrom)
          ui.reporter.info(`${resuming ? 'Resuming' : 'Downloading'} ${url}${p.total ? ` (${mb(p.total)})` : ''}`)
        else if (Date.now() - lastReport > 2000) {
          lastReport = Date.now()
          ui.reporter.info(`  ${formatProgress(p)}`)
        }
      },
    })
    fromCache = r.fromCache
    bytes = r.bytes
  } catch (error) {
    if (!(error instanceof ChecksumMismatchError)) throw error
    throw new DezcError({
      code: 'TF_CHECKSUM_MISMATCH',
      message: `The downloaded ${zipName} does not match ${path.basename(sumsUrl)} (expected sha256 ${expected}, got ${String(error.details?.actual)}). The download was deleted; nothing was installed.`,
      suggestion: [
        'Run the command again (a transfer error); if it repeats, the mirror serves a wrong file: use another --mirror.',
      ],
      exit: ExitCode.FAILURE,
      details: {expected, actual: error.details?.actual, url},
    })
  }
  if (fromCache) ui.reporter.info(`Using the cached ${zipPath} (checksum verified).`)
  else {
    const secs = Math.max((Date.now() - t0) / 1000, 0.001)
    ui.reporter.info(`Downloaded ${mb(bytes)} in ${secs.toFixed(1)} s`)
  }

  // Unpack the one binary.
  let binary: Buffer | undefined
  try {
    binary = await extractFile(zipPath, exeName)
  } catch (error) {
    if (!(error instanceof ZipError)) throw error
    await fs.rm(zipPath, {force: true})
    throw new DezcError({
      code: 'TF_ARCHIVE_INVALID',
      message: `${zipName} is not a valid zip: ${error.message}`,
      suggestion: 'Run the command again; the cached copy was deleted.',
      exit: ExitCode.FAILURE,
    })
  }
  if (!binary)
    throw new DezcError({
      code: 'TF_ARCHIVE_INVALID',
      message: `${zipName} has no ${exeName} inside.`,
      suggestion: 'Check the mirror content.',
      exit: ExitCode.FAILURE,
    })
  try {
    await fs.mkdir(binDir, {recursive: true})
    const tmp = path.join(binDir, `.${exeName}.${process.pid}.tmp`)
    await fs.writeFile(tmp, binary, {mode: 0o755})
    await fs.chmod(tmp, 0o755)
    await fs.rename(tmp, target)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DezcError({
      code: 'TF_BIN_DIR_NOT_WRITABLE',
      message: `Cannot install into ${binDir}: ${(error as Error).message}`,
      suggestion: `Choose a directory you can write with --bin-dir (default ~/.local/bin).`,
      exit: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ExitCode.PREREQUISITE : ExitCode.FAILURE,
      cause: error,
    })
  }
  const check = await capture(target, ['version', '-json'], {env, timeoutMs: 30_000}).catch(() => undefined)
  const reported = check ? parseVersionOutput(check.stdout).version : undefined
  if (reported !== version) ui.reporter.warn(`${target} reports version ${reported ?? '(none)'} instead of ${version}.`)
  return {...base, action, sha256: expected, fromCache, bytes, ...pathInfo()}
}
