/**
 * The files `dezc tf init` writes: main.tf and variables.tf rendered from templates/terraform/,
 * terraform.tfvars from the resolved settings, and a .gitignore. A marker file records the
 * SHA-256 of what dezc last wrote, so a file the user edited (or wrote themselves) is never
 * overwritten without --force; with --force the edited file is first copied to `<name>.bak`.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {DezcError, ExitCode} from '../core/errors.js'
import type {TfSettings} from './settings.js'
import {DEFAULTS} from './settings.js'
import {locationForRegion} from './names.js'

/** The google provider version the generated main.tf pins (the course's terraform_with_variables uses 5.6.0). */
export const GOOGLE_PROVIDER_VERSION = '5.6.0'
/** Oldest terraform the generated files and dezc's flags work with. */
export const TERRAFORM_MIN_VERSION = '1.0.0'

export const MARKER_FILE = '.dezc-tf.json'
export const TFVARS_FILE = 'terraform.tfvars'
/** Saved plans of interactive apply/destroy; removed afterwards, ignored by git. */
export const PLAN_FILE = 'dezc.tfplan'

export function templateDir(): string {
  // src/tf/files.ts and dist/tf/files.js are both two levels below the package root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates/terraform')
}

export function renderTemplate(text: string, vars: Record<string, string>): string {
  const out = text.replace(/\{\{([a-z_]+)\}\}/g, (m, name: string) => {
    if (!(name in vars)) throw new Error(`template placeholder ${m} has no value`)
    return vars[name]
  })
  return out
}

/** An HCL string literal: JSON escapes plus HCL's template escapes ($${ and %%{). */
export function hclString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{')
}

export function renderTfvars(s: TfSettings): string {
  const rows: Array<[string, string]> = [
    ['project', s.project],
    ['region', s.region],
    ['location', s.location],
    ['gcs_bucket_name', s.bucket],
    ['gcs_storage_class', s.storageClass],
    ['bq_dataset_name', s.dataset],
    ['credentials', s.credentials.kind === 'key' ? s.credentials.path : ''],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  return [
    '# Written by `dezc tf init` from flags, environment and config. Edit freely: once you change',
    '# this file, dezc will not overwrite it unless you pass --force.',
    '# The bucket and the dataset share `location`. An empty `credentials` means Application Default',
    '# Credentials (gcloud auth application-default login).',
    ...rows.map(([k, v]) => `${k.padEnd(width)} = ${hclString(v)}`),
    '',
  ].join('\n')
}

export const GITIGNORE = `# Written by dezc tf init. State can hold resource details; keys are secrets.
.terraform/
*.tfstate
*.tfstate.*
*.tfplan
crash.log
crash.*.log
override.tf
override.tf.json
*_override.tf
*_override.tf.json
# service-account keys and other credentials
*.json
!${MARKER_FILE}
.gc/
`

export interface GeneratedFile {
  name: string
  content: string
}

export async function renderFiles(settings: TfSettings): Promise<GeneratedFile[]> {
  const vars = {
    google_provider_version: GOOGLE_PROVIDER_VERSION,
    terraform_min_version: TERRAFORM_MIN_VERSION.replace(/\.0$/, ''),
    default_region: DEFAULTS.region,
    default_location: locationForRegion(DEFAULTS.region),
    default_storage_class: DEFAULTS.storageClass,
    default_dataset: DEFAULTS.dataset,
  }
  const dir = templateDir()
  const read = async (name: string) => {
    try {
      return renderTemplate(await fs.readFile(path.join(dir, name), 'utf8'), vars)
    } catch (error) {
      throw new DezcError({
        code: 'TF_TEMPLATE_MISSING',
        message: `Cannot read the terraform template ${path.join(dir, name)}: ${(error as Error).message}`,
        suggestion: 'Reinstall dezc; the templates/ directory ships with it.',
      })
    }
  }
  return [
    {name: 'main.tf', content: await read('main.tf')},
    {name: 'variables.tf', content: await read('variables.tf')},
    {name: TFVARS_FILE, content: renderTfvars(settings)},
    {name: '.gitignore', content: GITIGNORE},
  ]
}

export type WriteAction = 'create' | 'update' | 'unchanged' | 'keep-edited' | 'overwrite-edited'

export interface WriteResult {
  name: string
  path: string
  action: WriteAction
  /** Where the user's version was copied before an --force overwrite. */
  backup?: string
}

interface Marker {
  generatedBy: 'dezc'
  files: Record<string, {sha256: string}>
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

async function readMarker(dir: string): Promise<Marker> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, MARKER_FILE), 'utf8')) as Marker
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
  opts: {force: boolean; dryRun: boolean},
): Promise<WriteResult[]> {
  const marker = await readMarker(dir)
  const results: WriteResult[] = []
  for (const f of files) {
    const file = path.join(dir, f.name)
    let current: string | undefined
    try {
      current = await readIfExists(file)
    } catch (error) {
      throw writeError(file, error)
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
  if (opts.dryRun) return results
  try {
    await fs.mkdir(dir, {recursive: true})
    for (const [i, r] of results.entries()) {
      if (r.action === 'keep-edited' || r.action === 'unchanged') continue
      if (r.backup) await fs.copyFile(r.path, r.backup)
      await atomicWrite(r.path, files[i].content)
    }
    await atomicWrite(path.join(dir, MARKER_FILE), JSON.stringify(marker, null, 2) + '\n')
  } catch (error) {
    if (error instanceof DezcError) throw error
    throw writeError(dir, error)
  }
  return results
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, content, {mode: 0o644})
  await fs.rename(tmp, file)
}

function writeError(target: string, error: unknown): DezcError {
  const code = (error as NodeJS.ErrnoException).code
  return new DezcError({
    code: 'TF_DIR_NOT_WRITABLE',
    message: `Cannot write ${target}: ${(error as Error).message}`,
    suggestion:
      code === 'EACCES' || code === 'EPERM'
        ? `Check the permissions of ${path.dirname(target)} or choose another --dir.`
        : 'Choose another --dir.',
    exit: code === 'EACCES' || code === 'EPERM' ? ExitCode.PREREQUISITE : ExitCode.FAILURE,
    cause: error,
  })
}

/** Read one string value back from a terraform.tfvars that dezc wrote (or one in the same simple form). */
export function readTfvarsString(text: string, key: string): string | undefined {
  const m = text.match(new RegExp(`^\\s*${key}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*")\\s*(?:#.*)?$`, 'm'))
  if (!m) return undefined
  try {
    return JSON.parse(m[1].replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) as string
  } catch {
    return undefined
  }
}
