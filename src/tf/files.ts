/**
 * The files `dezc tf init` writes: main.tf and variables.tf rendered from templates/terraform/,
 * terraform.tfvars from the resolved settings, and a .gitignore. A marker file records the
 * SHA-256 of what dezc last wrote, so a file the user edited (or wrote themselves) is never
 * overwritten without --force; with --force the edited file is first copied to `<name>.bak`.
 */
import {COURSE_DEFAULTS, DEFAULT_COURSE} from '../config/course.js'
import fs from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {DezcError} from '../core/errors.js'
import {
  dirWriteError,
  renderTemplate,
  writeManagedFiles as writeManaged,
  type GeneratedFile,
  type WriteResult,
} from '../core/managed-files.js'
import type {TfSettings} from './settings.js'
import {DEFAULTS} from './settings.js'
import {locationForRegion} from './names.js'

/** The google provider version the generated main.tf pins: the course table's (terraform_with_variables uses 5.6.0). */
export const GOOGLE_PROVIDER_VERSION = COURSE_DEFAULTS[DEFAULT_COURSE].terraform.googleProvider
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

export type {GeneratedFile, WriteAction, WriteResult} from '../core/managed-files.js'
export {renderTemplate} from '../core/managed-files.js'

/** Decide, and unless dryRun perform, each write (src/core/managed-files.ts) with tf's marker and error. */
export function writeManagedFiles(
  dir: string,
  files: GeneratedFile[],
  opts: {force: boolean; dryRun: boolean},
): Promise<WriteResult[]> {
  return writeManaged(dir, files, {...opts, marker: MARKER_FILE, writeError})
}

const writeError = dirWriteError('TF_DIR_NOT_WRITABLE')

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
