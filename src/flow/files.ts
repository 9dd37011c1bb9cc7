/**
 * The Prefect project `dezc flow init` writes, rendered from templates/flow/: the flow, prefect.yaml
 * (the deployment on a process work pool, a monthly schedule), pinned requirements, a README that
 * maps the course notes' Prefect 2 commands to Prefect 3, and a .gitignore. Written through the
 * managed-files marker (`.dezc-flow.json`), so files the user edited are kept without --force.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {DezcError} from '../core/errors.js'
import {
  dirWriteError,
  renderTemplate,
  writeManagedFiles,
  type GeneratedFile,
  type WriteResult,
} from '../core/managed-files.js'
import {DEFAULT_PORT, PREFECT_VERSION, WORK_POOL} from './settings.js'

export const MARKER_FILE = '.dezc-flow.json'
export const PREFECT_YAML = 'prefect.yaml'
export const FLOW_FILE = 'flows/ingest.py'

/** Template path (under templates/flow/) -> the file's name in the project. */
const TEMPLATES: Array<[string, string]> = [
  ['flows/ingest.py', FLOW_FILE],
  ['prefect.yaml', PREFECT_YAML],
  ['requirements.txt', 'requirements.txt'],
  ['README.md', 'README.md'],
  // npm drops files named .gitignore from packages: the template has no dot.
  ['gitignore', '.gitignore'],
]

export function templateDir(): string {
  // src/flow/files.ts and dist/flow/files.js are both two levels below the package root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates/flow')
}

export async function renderProject(port: number = DEFAULT_PORT): Promise<GeneratedFile[]> {
  const vars = {prefect_version: PREFECT_VERSION, work_pool: WORK_POOL, port: String(port)}
  const dir = templateDir()
  return Promise.all(
    TEMPLATES.map(async ([template, name]) => {
      const file = path.join(dir, template)
      try {
        return {name, content: renderTemplate(await fs.readFile(file, 'utf8'), vars)}
      } catch (error) {
        throw new DezcError({
          code: 'FLOW_TEMPLATE_MISSING',
          message: `Cannot read the flow template ${file}: ${(error as Error).message}`,
          suggestion: 'Reinstall dezc; the templates/ directory ships with it.',
        })
      }
    }),
  )
}

export function writeProject(
  dir: string,
  files: GeneratedFile[],
  opts: {force: boolean; dryRun: boolean},
): Promise<WriteResult[]> {
  return writeManagedFiles(dir, files, {
    ...opts,
    marker: MARKER_FILE,
    writeError: dirWriteError('FLOW_DIR_NOT_WRITABLE'),
  })
}
