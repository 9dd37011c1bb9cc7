/**
 * Facts about Spark releases: archive names on the Apache archive, which Java versions each line
 * supports, the py4j each ships, and parsers for the archive's checksum files and directory index.
 */
import {usageError} from '../core/errors.js'

export interface SparkVersion {
  raw: string
  major: number
  minor: number
  patch: number
}

const VERSION_RE = /^(\d+)\.(\d+)\.(\d+)(?:-preview\d*)?$/

export function parseSparkVersion(raw: string): SparkVersion {
  const m = VERSION_RE.exec(raw.trim())
  if (!m)
    throw usageError(
      'BAD_SPARK_VERSION',
      `"${raw}" is not a Spark version.`,
      'Pass a release number such as --version 3.3.2.',
    )
  const v = {raw: raw.trim(), major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3])}
  if (v.major < 3)
    throw usageError(
      'UNSUPPORTED_SPARK_VERSION',
      `Spark ${v.raw} is too old: dezc installs Spark 3.0 and later.`,
      'The course uses 3.3.2 (the default).',
    )
  return v
}

/** The Hadoop build dezc installs: `hadoop3` since 3.3.0, `hadoop3.2` for 3.0-3.2. */
export function hadoopVariant(v: SparkVersion): string {
  return v.major === 3 && v.minor < 3 ? 'hadoop3.2' : 'hadoop3'
}

/** `spark-3.3.2-bin-hadoop3`: the archive's base name and the directory it extracts to. */
export function sparkDistName(v: SparkVersion): string {
  return `spark-${v.raw}-bin-${hadoopVariant(v)}`
}

/** `<mirror>/spark/spark-<v>/spark-<v>-bin-hadoop3.tgz`, the Apache archive layout. */
export function sparkArchiveUrl(mirror: string, v: SparkVersion): string {
  return `${trimSlash(mirror)}/spark/spark-${v.raw}/${sparkDistName(v)}.tgz`
}

export function sparkIndexUrl(mirror: string): string {
  return `${trimSlash(mirror)}/spark/`
}

/** Java majors each Spark line runs on (Spark's own docs, "Downloading" section). */
export function supportedJavaMajors(v: SparkVersion): number[] {
  if (v.major >= 4) return [17, 21]
  if (v.minor <= 2) return [8, 11]
  return [8, 11, 17]
}

/** The py4j a release line ships; only a hint for --dry-run (the install reads python/lib/). */
export function expectedPy4j(v: SparkVersion): string | undefined {
  if (v.major === 3 && v.minor === 3) return '0.10.9.5'
  if (v.major === 3 && v.minor === 4) return '0.10.9.7'
  if (v.major === 3 && v.minor === 5) return '0.10.9.7'
  if (v.major === 3 && v.minor === 2) return '0.10.9.5'
  if (v.major === 4 && v.minor === 0) return '0.10.9.9'
  return undefined
}

/**
 * The digest in an Apache `.sha512` file. Two formats exist:
 *  - `sha512sum`: `<128 hex>  spark-3.5.1-bin-hadoop3.tgz`
 *  - GPG `--print-md` (used up to 3.3.x): `spark-3.3.2-bin-hadoop3.tgz: 6C5BFA4B 4A1B...` wrapped over
 *    several lines, upper-case, in groups of 8.
 * Returns lower-case hex, or undefined when the file holds no SHA-512.
 */
export function parseSha512File(text: string, fileName?: string): string | undefined {
  const trimmed = text.trim()
  // sha512sum format (possibly several lines; prefer the one naming our file).
  const lines = trimmed.split(/\r?\n/)
  const sumLines = lines
    .map((l) => /^([0-9a-fA-F]{128})\s+\*?(\S+)?\s*$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
  if (sumLines.length > 0) {
    const mine = fileName ? sumLines.find((m) => m[2] && m[2].replace(/^.*\//, '') === fileName) : undefined
    return (mine ?? sumLines[0])[1].toLowerCase()
  }
  // GPG format: "<name>: <groups...>" possibly wrapped.
  const colon = trimmed.indexOf(':')
  const body = colon >= 0 ? trimmed.slice(colon + 1) : trimmed
  const hex = body.replace(/\s+/g, '')
  if (/^[0-9a-fA-F]{128}$/.test(hex)) return hex.toLowerCase()
  return undefined
}

/** A `.sha256` file from jdk.java.net holds the bare digest (or `sha256sum` output). */
export function parseSha256File(text: string): string | undefined {
  const m = /\b([0-9a-fA-F]{64})\b/.exec(text)
  return m ? m[1].toLowerCase() : undefined
}

/** Versions listed in an Apache directory index (`<a href="spark-3.3.2/">`), newest first. */
export function parseSparkIndex(html: string): string[] {
  const found = new Set<string>()
  for (const m of html.matchAll(/href="(?:[^"]*\/)?spark-(\d+\.\d+\.\d+(?:-preview\d*)?)\/"/g)) found.add(m[1])
  return [...found].sort(compareVersions).reverse()
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/)
  const pb = b.split(/[.-]/)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i]
    const y = pb[i]
    if (x === undefined) return 1 // 3.0.0 > 3.0.0-preview
    if (y === undefined) return -1
    const nx = Number(x)
    const ny = Number(y)
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny
    } else if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** The Spark version a distribution declares in its RELEASE file ("Spark 3.3.2 built for Hadoop 3.3.2"). */
export function parseReleaseFile(text: string): string | undefined {
  return /^Spark\s+(\S+)/m.exec(text)?.[1]
}

/** `py4j-0.10.9.5-src.zip` -> `0.10.9.5` */
export function py4jVersionFromName(name: string): string | undefined {
  return /^py4j-(.+)-src\.zip$/.exec(name)?.[1]
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '')
}
