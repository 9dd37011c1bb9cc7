/**
 * What the `dezc tf` commands will run, as pure functions of the settings and what was observed:
 * the terraform command lines (--dry-run prints them; the service runs exactly these) and the
 * decision of `tf install`.
 */
import path from 'node:path'
import {shellQuote} from '../core/shell.js'
import type {CredentialsChoice} from './credentials.js'
import {PLAN_FILE} from './files.js'

export interface PlannedCommand {
  cwd: string
  argv: string[]
  /** Human form: `cd DIR && GOOGLE_APPLICATION_CREDENTIALS=... terraform ...` */
  shell: string
}

export function planned(dir: string, argv: string[], creds: CredentialsChoice): PlannedCommand {
  const envPart = creds.kind === 'key' ? `GOOGLE_APPLICATION_CREDENTIALS=${shellQuote(creds.path)} ` : ''
  return {cwd: dir, argv, shell: `cd ${shellQuote(dir)} && ${envPart}${argv.map(shellQuote).join(' ')}`}
}

export const INIT_ARGV = ['terraform', 'init', '-input=false']

/** `tf init`: the one terraform command after the files are written. */
export function planInit(dir: string, creds: CredentialsChoice): PlannedCommand[] {
  return [planned(dir, INIT_ARGV, creds)]
}

export type TfAction = 'plan' | 'apply' | 'destroy'

export interface RunPlan {
  /** `terraform init` first (never initialised: no providers or no lock file). */
  init: boolean
  /**
   * The main commands: one (plan, or apply/destroy -auto-approve under --yes), or a saved plan
   * then its apply, with the confirmation in between.
   */
  main: string[][]
  /** `terraform output -json` after apply. */
  after: string[][]
  /** A person must confirm between main[0] and main[1]. */
  confirm: boolean
  commands: PlannedCommand[]
}

export function planRun(
  action: TfAction,
  o: {dir: string; creds: CredentialsChoice; yes: boolean; needsInit: boolean},
): RunPlan {
  let main: string[][]
  if (action === 'plan') main = [['terraform', 'plan', '-input=false', '-detailed-exitcode']]
  else if (o.yes) main = [['terraform', action, '-input=false', '-auto-approve']]
  else
    main = [
      [
        'terraform',
        'plan',
        '-input=false',
        '-detailed-exitcode',
        ...(action === 'destroy' ? ['-destroy'] : []),
        `-out=${PLAN_FILE}`,
      ],
      ['terraform', 'apply', '-input=false', PLAN_FILE],
    ]
  const after = action === 'apply' ? [['terraform', 'output', '-json']] : []
  const commands = [...(o.needsInit ? [INIT_ARGV] : []), ...main, ...after].map((argv) => planned(o.dir, argv, o.creds))
  return {init: o.needsInit, main, after, confirm: action !== 'plan' && !o.yes, commands}
}

export interface InstallPlan {
  version: string
  os: string
  arch: string
  zipName: string
  url: string
  sumsUrl: string
  /** The binary's path in the bin dir. */
  path: string
}

/** `tf install`: where the release is and where it goes. */
export function planInstall(o: {
  mirror: string
  version: string
  os: string
  arch: string
  binDir: string
  exeName: string
}): InstallPlan {
  const zipName = `terraform_${o.version}_${o.os}_${o.arch}.zip`
  return {
    version: o.version,
    os: o.os,
    arch: o.arch,
    zipName,
    url: `${o.mirror}/${o.version}/${zipName}`,
    sumsUrl: `${o.mirror}/${o.version}/terraform_${o.version}_SHA256SUMS`,
    path: path.join(o.binDir, o.exeName),
  }
}

/** `tf install`'s decision, from the version the installed binary reports. */
export function installAction(
  existing: string | undefined,
  version: string,
  force: boolean,
): 'installed' | 'reinstalled' | 'unchanged' {
  if (existing === version && !force) return 'unchanged'
  return existing ? 'reinstalled' : 'installed'
}
