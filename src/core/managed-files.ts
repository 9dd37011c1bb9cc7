/**
 * Files dezc generates into a user's folder (`dezc tf init`, `dezc flow init`, `dezc dbt init`). A marker file records
 * the SHA-256 of what dezc last wrote, so a file the user edited (or wrote themselves) is never
 * overwritten without --force; with --force the edited file is first copied to `<name>.bak`.
 * Names may hold subfolders (`models/staging/x.sql`); each file may ask for its own mode (0600 for
 * a profile), which is also applied to a file whose content did not change.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type {ErrorCode} from './error-codes.js'
import {DezcError, ExitCode} from './errors.js'

/** `{{name}}` placeholders replaced by `vars` (a placeholder without a value is a bug, thrown). */
export function renderTemplate(text: string, vars: Record<string, string>): string {
  const out = text.replace(/\{\{([a-z_]+)\}\}/g, (m, name: string) => {
    if (!(name in vars)) throw new Error(`template placeholder ${m} has no value`)
    return vars[name]
  })
  return out
}

export interface GeneratedFile {
  /** Path relative to the target folder, with `/` separators. */
  name: string
  content: string
  /** File mode (default 0644). */
  mode?: number
}

export type WriteAction = 'create' | 'update' | 'unchanged' | 'keep-edited' | 'overwrite-edited'

export interface WriteResult {
  name: string
  path: string
  action: WriteAction
  /** Where the user's version was copied before an --force overwrite. */
  backup?: string
}

export interface Marker {
  generatedBy: 'dezc'
  files: Record<string, {sha256: string}>
  /** What the generator wants to remember about the folder (e.g. the dbt target it was made for). */
  meta?: Record<string, unknown>
}

export interface ManagedWriteOptions {
  force: boolean
  dryRun: boolean
  /** The marker's file name inside the folder, e.g. `.dezc-tf.json`. */
  marker: string
  /** Stored in the marker as `meta` (replaces the previous one). */
  meta?: Record<string, unknown>
  /** The caller's error for a file or folder that cannot be read or written. */
  writeError: (target: string, error: unknown) => DezcError
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

export async function readMarker(dir: string, marker: string): Promise<Marker> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, marker), 'utf8')) as Marker
    if (m && typeof m === 'object' && m.files && typeof m.files === 'object') return m
  } catch {
    // absent or unreadable: nothing is known to be dezc's
  }
  return {generatedBy: 'dezc', files: {}}
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Decide, and unless dryRun perform, each write. A file counts as dezc's when its current
 * SHA-256 equals the one recorded at the last write; anything else is the user's.
 */
export async function writeManagedFiles(
  dir: string,
  files: GeneratedFile[],
  opts: ManagedWriteOptions,
): Promise<WriteResult[]> {
  const marker = await readMarker(dir, opts.marker)
  const results: WriteResult[] = []
  for (const f of files) {
    const file = path.join(dir, ...f.name.split('/'))
    let current: string | undefined
    try {
      current = await readIfExists(file)
    } catch (error) {
      throw opts.writeError(file, error)
    }
    const recorded = marker.files[f.name]?.sha256
    let action: WriteAction
    if (current === undefined) action = 'create'
    else if (current === f.content) action = 'unchanged'
    else if (recorded !== undefined && sha256(current) === recorded) action = 'update'
    else action = opts.force ? 'overwrite-edited' : 'keep-edited'
    const result: WriteResult = {name: f.name, path: file, action}
    if (action === 'overwrite-edited') result.backup = `${file}.bak`
    results.push(result)
    if (action !== 'keep-edited') marker.files[f.name] = {sha256: sha256(f.content)}
  }
  if (opts.meta) marker.meta = opts.meta
  if (opts.dryRun) return results
  try {
    await fs.mkdir(dir, {recursive: true})
    for (const [i, r] of results.entries()) {
      if (r.action === 'keep-edited') continue
      if (r.action === 'unchanged') {
        if (files[i].mode !== undefined) await fs.chmod(r.path, files[i].mode)
        continue
      }
      await fs.mkdir(path.dirname(r.path), {recursive: true})
      if (r.backup) await fs.copyFile(r.path, r.backup)
      await atomicWrite(r.path, files[i].content, files[i].mode ?? 0o644)
    }
    await atomicWrite(path.join(dir, opts.marker), JSON.stringify(marker, null, 2) + '\n', 0o644)
  } catch (error) {
    if (error instanceof DezcError) throw error
    throw opts.writeError(dir, error)
  }
  return results
}

export async function atomicWrite(file: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, content, {mode})
  // writeFile's mode is filtered by the umask and ignored for an existing tmp: set it exactly.
  await fs.chmod(tmp, mode)
  await fs.rename(tmp, file)
}

/** The usual `writeError` of a generated directory: `code`, with a permissions hint when access was denied. */
export function dirWriteError(code: ErrorCode): (target: string, error: unknown) => DezcError {
  return (target, error) => {
    const denied = ['EACCES', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')
    return new DezcError({
      code,
      message: `Cannot write ${target}: ${(error as Error).message}`,
      suggestion: denied
        ? `Check the permissions of ${path.dirname(target)} or choose another --dir.`
        : 'Choose another --dir.',
      exit: denied ? ExitCode.PREREQUISITE : ExitCode.FAILURE,
      cause: error,
    })
  }
}

/** A write's outcome for people, e.g. "kept (edited by you; --force overwrites)". */
export function describeWrite(action: WriteAction, dryRun: boolean): string {
  return (
    dryRun
      ? {
          create: 'would create',
          update: 'would update',
          unchanged: 'unchanged',
          'keep-edited': 'kept (edited by you)',
          'overwrite-edited': 'would overwrite (edited; copy to .bak)',
        }
      : {
          create: 'created',
          update: 'updated',
          unchanged: 'unchanged',
          'keep-edited': 'kept (edited by you; --force overwrites)',
          'overwrite-edited': 'overwritten (your copy: .bak)',
        }
  )[action]
}
