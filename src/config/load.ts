/**
 * Loading dezc's YAML configuration.
 *
 * Layers, lowest first: built-in defaults < user file (XDG config dir) < project file `./dezc.yaml`.
 * `--config FILE` / `DEZC_CONFIG` replaces both files with that one. Every error names the file
 * and line. Secrets dezc generates are written to the "secrets file": the explicit config file if
 * one was given, else the user file (never the project file, which people commit).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {LineCounter, parseDocument, type Document} from 'yaml'
import type {z} from 'zod'
import {DezcError, ExitCode, usageError} from '../core/errors.js'
import {PROJECT_CONFIG_NAME, userConfigFile} from './paths.js'
import {fileSchema, KNOWN_SECTIONS} from './schema.js'

export interface ConfigFile {
  path: string
  kind: 'user' | 'project' | 'explicit'
  doc: Document
  lines: LineCounter
  data: Record<string, unknown>
}

export interface LoadConfigOptions {
  /** --config / DEZC_CONFIG */
  explicitPath?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Called for non-fatal findings (unknown top-level keys). */
  onWarning?: (message: string) => void
}

export class LoadedConfig {
  constructor(
    readonly files: ConfigFile[],
    /** Where generated secrets are stored. */
    readonly secretsFile: string,
  ) {}

  /** The merged raw value of a top-level section (files only; built-ins are applied by each capability). */
  raw(name: string): unknown {
    let merged: unknown
    for (const f of this.files) {
      if (f.data[name] !== undefined) merged = deepMerge(merged, f.data[name])
    }
    return merged
  }

  /**
   * A validated section. Each file's part is checked separately so errors point at a line,
   * then the parts are merged (later files win).
   */
  section<S extends z.ZodType>(name: string, schema: S): z.infer<S> | undefined {
    let merged: unknown
    for (const f of this.files) {
      const part = f.data[name]
      if (part === undefined || part === null) continue
      const result = schema.safeParse(part)
      if (!result.success) throw configIssueError(f, [name], result.error)
      merged = deepMerge(merged, result.data)
    }
    return merged as z.infer<S> | undefined
  }

  /** "file:line" of the file that sets this setting (the last one read wins), for errors about its value. */
  where(keyPath: string[]): string | undefined {
    for (const f of [...this.files].reverse()) {
      let v: unknown = f.data
      for (const k of keyPath) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined
      if (v !== undefined) return `${f.path}:${lineOf(f, keyPath)}`
    }
    return undefined
  }

  /** A one-line description of which files were read, for --verbose and doctor. */
  describe(): string {
    if (this.files.length === 0) return 'no config file (built-in defaults)'
    return this.files.map((f) => `${f.path} (${f.kind})`).join(', ')
  }
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.explicitPath ?? (env.DEZC_CONFIG || undefined)
  const files: ConfigFile[] = []
  if (explicit) {
    const p = path.resolve(cwd, explicit)
    const f = await readConfigFile(p, 'explicit')
    if (!f)
      throw usageError(
        'CONFIG_NOT_FOUND',
        `Config file ${p} does not exist.`,
        'Check the path given with --config or DEZC_CONFIG.',
      )
    files.push(f)
  } else {
    const user = await readConfigFile(userConfigFile(env), 'user')
    if (user) files.push(user)
    const project = await readConfigFile(path.join(cwd, PROJECT_CONFIG_NAME), 'project')
    if (project) files.push(project)
  }
  for (const f of files) {
    const parsed = fileSchema.safeParse(f.data)
    if (!parsed.success) throw configIssueError(f, [], parsed.error)
    for (const key of Object.keys(f.data)) {
      if (!KNOWN_SECTIONS.has(key))
        options.onWarning?.(
          `${f.path}:${lineOf(f, [key])}: unknown setting "${key}" is ignored (known: ${[...KNOWN_SECTIONS].join(', ')}).`,
        )
    }
  }
  const secretsFile = explicit ? path.resolve(cwd, explicit) : userConfigFile(env)
  return new LoadedConfig(files, secretsFile)
}

async function readConfigFile(p: string, kind: ConfigFile['kind']): Promise<ConfigFile | undefined> {
  let text: string
  try {
    text = await fs.readFile(p, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'EISDIR')
      throw usageError('CONFIG_INVALID', `${p} is a directory, not a config file.`, 'Point --config at a YAML file.')
    throw new DezcError({
      code: 'CONFIG_UNREADABLE',
      message: `Cannot read ${p}: ${(error as Error).message}`,
      suggestion: `Check the file's permissions (ls -l ${p}).`,
      exit: ExitCode.USAGE,
    })
  }
  const lines = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    // An unterminated construct is reported at end of input: point at the last line with content instead.
    const pos = lines.linePos(Math.min(e.pos[0], Math.max(0, text.trimEnd().length - 1)))
    throw usageError(
      'CONFIG_INVALID',
      `${p}:${pos.line}:${pos.col}: invalid YAML: ${firstLine(e.message)}`,
      `Fix the YAML syntax at line ${pos.line} of ${p}.`,
    )
  }
  const data = doc.toJS() ?? {}
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw usageError(
      'CONFIG_INVALID',
      `${p}:1: the config file must be a mapping of settings (e.g. "profiles:"), not a ${Array.isArray(data) ? 'list' : typeof data}.`,
      'See the README section "Configuration".',
    )
  }
  return {path: p, kind, doc, lines, data: data as Record<string, unknown>}
}

function firstLine(s: string): string {
  return s.split('\n')[0]
}

function lineOf(f: ConfigFile, keyPath: (string | number)[]): number {
  for (let n = keyPath.length; n >= 0; n--) {
    const node = f.doc.getIn(keyPath.slice(0, n), true) as {range?: [number, number, number]} | undefined
    if (node && node.range) return f.lines.linePos(node.range[0]).line
    // keys of a map: find the Pair's key node
    if (n > 0) {
      const parent = n === 1 ? f.doc.contents : (f.doc.getIn(keyPath.slice(0, n - 1), true) as unknown)
      const items = (parent as {items?: Array<{key?: {value?: unknown; range?: [number, number, number]}}>} | undefined)
        ?.items
      const key = items?.find((i) => i.key?.value === keyPath[n - 1])?.key
      if (key?.range) return f.lines.linePos(key.range[0]).line
    }
  }
  return 1
}

function configIssueError(f: ConfigFile, prefix: (string | number)[], error: z.ZodError): DezcError {
  const issue = error.issues[0]
  const keyPath = [...prefix, ...(issue.path as (string | number)[])]
  const line = lineOf(f, keyPath)
  const where = keyPath.length > 0 ? keyPath.join('.') : '(top level)'
  return usageError(
    'CONFIG_INVALID',
    `${f.path}:${line}: ${where}: ${issue.message}`,
    `Fix line ${line} of ${f.path}; the README section "Configuration" lists every setting.`,
  )
}

export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = {...base}
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v)
    return out
  }
  return over
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Set one value in a config file, keeping its comments, creating it if needed, mode 0600.
 * Used to store generated secrets; the write is atomic (temp file + rename).
 */
export async function setConfigValue(file: string, keyPath: string[], value: unknown): Promise<void> {
  let text = ''
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const doc = parseDocument(text || '{}')
  if (doc.errors.length > 0)
    throw usageError('CONFIG_INVALID', `${file}: cannot update: the file is not valid YAML.`, `Fix ${file} first.`)
  // yaml types contents as the parsed node union; an empty document gets a fresh map.
  if (!text) doc.contents = doc.createNode({}) as never
  doc.setIn(keyPath, value)
  await fs.mkdir(path.dirname(file), {recursive: true, mode: 0o700})
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, doc.toString(), {mode: 0o600})
  await fs.chmod(tmp, 0o600)
  await fs.rename(tmp, file)
}
