/**
 * `dezc tf init|plan|apply|destroy` as services: generate the files, then drive terraform in the
 * directory with the right credentials, confirmations and error messages. No oclif here: the
 * commands pass flags in and render what comes back.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode, NonInteractiveError, UserAbortError} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import {
  credentialsEnv,
  describeCredentials,
  missingKeyFile,
  readKeyFileInfo,
  resolveCredentials,
  type CredentialsChoice,
  type GcpConfigView,
} from './credentials.js'
import {diagnose} from './diagnose.js'
import {
  MARKER_FILE,
  PLAN_FILE,
  readTfvarsString,
  renderFiles,
  TFVARS_FILE,
  writeManagedFiles,
  type WriteResult,
} from './files.js'
import {INIT_ARGV, planInit, planned, planRun, type PlannedCommand, type TfAction} from './plan.js'
import {resolveDir, resolveSettings, type TfConfig, type TfSettings, type TfValueFlags} from './settings.js'
import {capture, ensureTerraform, runStreaming, type TerraformInfo} from './terraform.js'

export interface TfContext {
  ui: Ui
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  config: TfConfig
  gcp: GcpConfigView
  cwd: string
  /** Streams terraform writes to; stderr for both under --json. */
  out: {stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream}
  /** Add -no-color (no TTY, NO_COLOR, --json). */
  noColor: boolean
}

/** -no-color goes right after the subcommand: terraform stops reading flags at the first positional argument. */
const withColor = (ctx: TfContext, args: string[]) => (ctx.noColor ? [args[0], '-no-color', ...args.slice(1)] : args)

// ---------------------------------------------------------------------------------------------
// init

export interface InitOptions {
  dir?: string
  flags: TfValueFlags
  force: boolean
  dryRun: boolean
  /** Skip `terraform init` (files only). */
  skipTerraformInit: boolean
}

export interface InitResult {
  dir: string
  settings: Omit<TfSettings, 'credentials' | 'sources'> & {
    credentials: string
    credentialsKind: CredentialsChoice['kind']
  }
  sources: Record<string, string>
  files: WriteResult[]
  terraformInit: {ran: boolean; reason?: string; version?: string}
  commands: PlannedCommand[]
  dryRun: boolean
}

export async function tfInit(ctx: TfContext, opts: InitOptions): Promise<InitResult> {
  const dir = resolveDir(ctx, opts.dir)
  const settings = await resolveSettings({
    flags: opts.flags,
    env: ctx.env,
    config: ctx.config,
    gcp: ctx.gcp,
    prompter: ctx.ui.prompter,
    cwd: ctx.cwd,
  })
  const creds = settings.credentials
  if (creds.kind === 'key' && creds.projectId && creds.projectId !== settings.project) {
    ctx.ui.reporter.warn(
      `The key ${creds.path} belongs to project ${creds.projectId}, not ${settings.project}. Pass --credentials to use another key.`,
    )
  }
  if (creds.kind === 'adc' && !creds.adcFile && !ctx.env.GOOGLE_APPLICATION_CREDENTIALS) {
    ctx.ui.reporter.warn(
      'No credentials found yet: run `dezc gcp bootstrap` (service-account key) or `gcloud auth application-default login` before dezc tf plan/apply.',
    )
  }
  const files = await renderFiles(settings)
  const written = await writeManagedFiles(dir, files, {force: opts.force, dryRun: opts.dryRun})
  for (const w of written) {
    if (w.action === 'keep-edited')
      ctx.ui.reporter.warn(
        `${w.path} was changed since dezc wrote it (or dezc did not write it): kept as is. Pass --force to overwrite it (a copy goes to ${w.name}.bak).`,
      )
  }
  const commands = planInit(dir, creds)
  const result: InitResult = {
    dir,
    settings: {
      project: settings.project,
      region: settings.region,
      location: settings.location,
      bucket: settings.bucket,
      dataset: settings.dataset,
      storageClass: settings.storageClass,
      credentials: creds.kind === 'key' ? creds.path : 'ADC',
      credentialsKind: creds.kind,
    },
    sources: settings.sources,
    files: written,
    terraformInit: {ran: false},
    commands,
    dryRun: opts.dryRun,
  }
  if (opts.dryRun) {
    result.terraformInit.reason = 'dry run'
    return result
  }
  if (opts.skipTerraformInit) {
    result.terraformInit.reason = '--skip-terraform-init'
    return result
  }
  let tf: TerraformInfo
  try {
    tf = await ensureTerraform(ctx.env)
  } catch (error) {
    if (!(error instanceof DezcError) || error.exit !== ExitCode.PREREQUISITE) throw error
    // The files are the main product; say clearly that terraform init did not run and how to fix it.
    ctx.ui.reporter.warn(
      `${error.message} The files are written; terraform init did not run. ${error.suggestions[0] ?? ''}`,
    )
    result.terraformInit.reason = error.message
    return result
  }
  await runStep(ctx, tf, dir, creds, INIT_ARGV.slice(1), 'init', {
    project: settings.project,
    bucket: settings.bucket,
    dataset: settings.dataset,
  })
  result.terraformInit = {ran: true, version: tf.version}
  return result
}

// ---------------------------------------------------------------------------------------------
// plan / apply / destroy

export interface RunTfOptions {
  dir?: string
  credentials?: string
  yes: boolean
  dryRun: boolean
}

export interface PlanCounts {
  add: number
  change: number
  destroy: number
}

export interface RunTfResult {
  action: TfAction
  dir: string
  credentials: string
  terraform?: {path: string; version: string}
  commands: PlannedCommand[]
  dryRun: boolean
  /** From the plan's summary line, when terraform printed one. */
  plan?: PlanCounts
  changed?: boolean
  /** `terraform output -json` after apply (sensitive values masked). */
  outputs?: Record<string, unknown>
}

interface DirState {
  project?: string
  bucket?: string
  dataset?: string
  credentials?: string
}

async function readDirState(dir: string, cwd: string): Promise<DirState> {
  try {
    await fs.access(path.join(dir, 'main.tf'))
  } catch {
    throw new DezcError({
      code: 'TF_DIR_NOT_INITIALIZED',
      message: `${dir} has no main.tf.`,
      suggestion: `Generate the files first: dezc tf init --dir ${path.relative(cwd, dir) || '.'} --project <id>`,
      exit: ExitCode.PREREQUISITE,
    })
  }
  const text = await fs.readFile(path.join(dir, TFVARS_FILE), 'utf8').catch(() => '')
  return {
    project: readTfvarsString(text, 'project'),
    bucket: readTfvarsString(text, 'gcs_bucket_name'),
    dataset: readTfvarsString(text, 'bq_dataset_name'),
    credentials: readTfvarsString(text, 'credentials'),
  }
}

/**
 * Credentials for a run: --credentials, else the key named in terraform.tfvars (what the provider
 * block reads anyway), else the usual discovery (env, config, bootstrap key, ADC).
 */
async function runCredentials(ctx: TfContext, dir: string, state: DirState, flag?: string): Promise<CredentialsChoice> {
  if (!flag && state.credentials) {
    const file = path.resolve(dir, state.credentials.replace(/^~(?=\/)/, ctx.env.HOME ?? '~'))
    const info = await readKeyFileInfo(file)
    if (!info) throw missingKeyFile(file, `credentials in ${path.join(dir, TFVARS_FILE)}`)
    return {kind: 'key', path: file, source: TFVARS_FILE, clientEmail: info.clientEmail, projectId: info.projectId}
  }
  return resolveCredentials({
    flag,
    env: ctx.env,
    configured: ctx.config.credentials,
    gcp: ctx.gcp,
    project: state.project,
    cwd: ctx.cwd,
  })
}

/** Whether `terraform init` must run first: no provider plugins or no lock file yet. */
async function needsInit(dir: string): Promise<boolean> {
  const exists = (p: string) =>
    fs.access(path.join(dir, p)).then(
      () => true,
      () => false,
    )
  return !(await exists('.terraform/providers')) || !(await exists('.terraform.lock.hcl'))
}

export function parsePlanCounts(output: string): PlanCounts | undefined {
  const m = output.match(/Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/)
  if (m) return {add: Number(m[1]), change: Number(m[2]), destroy: Number(m[3])}
  if (/No changes\./.test(output)) return {add: 0, change: 0, destroy: 0}
  return undefined
}

async function runStep(
  ctx: TfContext,
  tf: TerraformInfo,
  dir: string,
  creds: CredentialsChoice,
  args: string[],
  step: string,
  names: DirState,
  okCodes = [0],
): Promise<{code: number; output: string}> {
  ctx.ui.reporter.debug(`running: ${planned(dir, ['terraform', ...args], creds).shell}`)
  const r = await runStreaming(tf.path, withColor(ctx, args), {
    cwd: dir,
    env: terraformEnv(creds, ctx.env),
    stdout: ctx.out.stdout,
    stderr: ctx.out.stderr,
    signal: ctx.signal,
  })
  if (!okCodes.includes(r.code))
    throw diagnose(r.output, r.code, {step, dir, project: names.project, bucket: names.bucket, dataset: names.dataset})
  return r
}

/**
 * The environment every terraform run gets: the credentials, TF_IN_AUTOMATION (terraform stops
 * suggesting its own next commands; dezc prints the dezc ones) and TF_INPUT=0 (never wait for input).
 */
export function terraformEnv(creds: CredentialsChoice, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {...credentialsEnv(creds, base), TF_IN_AUTOMATION: '1', TF_INPUT: '0'}
}

function maskOutputs(raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (!raw || typeof raw !== 'object') return out
  for (const [k, v] of Object.entries(raw as Record<string, {value?: unknown; sensitive?: boolean}>)) {
    out[k] = v?.sensitive ? '(sensitive)' : v?.value
  }
  return out
}

/**
 * The question before a saved plan is applied. The generated configuration names its bucket and
 * dataset in terraform.tfvars; any other configuration (no such tfvars) is asked about by counts.
 */
function confirmQuestion(action: TfAction, state: DirState, plan?: PlanCounts): string {
  const where = state.project ? ` in project ${state.project}` : ''
  if (action === 'apply') return `Apply these changes${where}?`
  if (state.bucket || state.dataset)
    return `Destroy the bucket${state.bucket ? ` ${state.bucket}` : ''} (and everything in it) and the dataset${state.dataset ? ` ${state.dataset}` : ''}${where}?`
  return `Destroy ${plan ? `all ${plan.destroy} resource${plan.destroy === 1 ? '' : 's'}` : 'everything'} in the state of this configuration${where}?`
}

export async function tfRun(ctx: TfContext, action: TfAction, opts: RunTfOptions): Promise<RunTfResult> {
  const dir = resolveDir(ctx, opts.dir)
  const state = await readDirState(dir, ctx.cwd)
  const creds = await runCredentials(ctx, dir, state, opts.credentials)
  const run = planRun(action, {dir, creds, yes: opts.yes, needsInit: await needsInit(dir)})
  const mainCmds = run.main
  const result: RunTfResult = {
    action,
    dir,
    credentials: creds.kind === 'key' ? creds.path : 'ADC',
    commands: run.commands,
    dryRun: opts.dryRun,
  }
  if (opts.dryRun) return result

  // Refuse before running anything when a confirmation will be needed but nobody can answer.
  if (run.confirm && !ctx.ui.prompter.canPrompt) {
    throw new NonInteractiveError(
      `terraform ${action} needs a confirmation`,
      `Re-run with --yes to ${action} without asking (terraform ${action} -auto-approve).`,
    )
  }
  if (creds.kind === 'adc' && !creds.adcFile && !ctx.env.GOOGLE_APPLICATION_CREDENTIALS) {
    ctx.ui.reporter.warn(
      'No credentials file found (no bootstrap key, no GOOGLE_APPLICATION_CREDENTIALS, no gcloud application-default login); terraform will try the metadata server.',
    )
  }
  ctx.ui.reporter.info(`Credentials: ${describeCredentials(creds)}`)
  const tf = await ensureTerraform(ctx.env)
  result.terraform = {path: tf.path, version: tf.version}
  if (run.init) await runStep(ctx, tf, dir, creds, INIT_ARGV.slice(1), 'init', state)

  if (action === 'plan') {
    const r = await runStep(ctx, tf, dir, creds, mainCmds[0].slice(1), 'plan', state, [0, 2])
    result.plan = parsePlanCounts(r.output)
    result.changed = r.code === 2
    return result
  }

  if (!run.confirm) {
    const r = await runStep(ctx, tf, dir, creds, mainCmds[0].slice(1), action, state)
    result.plan = parsePlanCounts(r.output)
    result.changed = result.plan ? result.plan.add + result.plan.change + result.plan.destroy > 0 : undefined
  } else {
    const planPath = path.join(dir, PLAN_FILE)
    try {
      const p = await runStep(ctx, tf, dir, creds, mainCmds[0].slice(1), 'plan', state, [0, 2])
      result.plan = parsePlanCounts(p.output)
      if (p.code === 0) {
        ctx.ui.reporter.info(`No changes: nothing to ${action}.`)
        result.changed = false
      } else {
        const ok = await ctx.ui.prompter.confirm({
          message: confirmQuestion(action, state, result.plan),
          default: false,
          flagHint: '--yes',
        })
        if (!ok)
          throw new UserAbortError(`Not ${action === 'destroy' ? 'destroyed' : 'applied'}: declined at the prompt.`)
        await runStep(ctx, tf, dir, creds, mainCmds[1].slice(1), action, state)
        result.changed = true
      }
    } finally {
      await fs.rm(planPath, {force: true})
    }
  }

  if (run.after.length > 0) {
    const o = await capture(tf.path, run.after[0].slice(1), {
      cwd: dir,
      env: terraformEnv(creds, ctx.env),
      timeoutMs: 120_000,
    })
    if (o.code !== 0) {
      ctx.ui.reporter.warn(`terraform output -json failed (exit ${o.code}); the apply itself succeeded.`)
    } else {
      try {
        result.outputs = maskOutputs(JSON.parse(o.stdout))
      } catch {
        ctx.ui.reporter.warn('terraform output -json printed something that is not JSON; the apply itself succeeded.')
      }
    }
  }
  return result
}

export const _internal = {needsInit, MARKER_FILE}
