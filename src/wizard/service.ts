/**
 * `dezc wizard`: the course's setup as a guided walk. Each step asks what it needs (defaults from
 * the answers saved last time), runs through the very services the commands use, and records
 * itself so the end can print the non-interactive commands that repeat the run. Answers are saved
 * after each finished step, so an interrupted wizard resumes from what was done.
 */
import type {LoadedConfig} from '../config/load.js'
import {InterruptedError} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import type {Stack, StackOverrides} from '../env/settings.js'
import {renderSummary} from './render.js'

export interface WizardContext {
  config: LoadedConfig
  ui: Ui
  signal: AbortSignal
  /** The stack chosen in the first step (profile + the command's stack flags). */
  stack: Stack
  /** Stack flags to repeat in every printed command (e.g. ` --host synology --stack demo`). */
  stackArgs: string
  /** Values one step hands to later ones (e.g. the GCP project id for terraform). */
  shared: Record<string, string>
}

export interface WizardStep<A> {
  id: string
  title: string
  /** Ask what the step needs; undefined means the user skipped it. */
  ask(ctx: WizardContext, saved: A | false | undefined): Promise<A | undefined>
  /** Do it; returns one line for the summary. */
  run(ctx: WizardContext, answers: A): Promise<string>
  /** The commands that do the same without the wizard. */
  commands(ctx: WizardContext, answers: A): string[]
}

export interface StepOutcome {
  id: string
  title: string
  status: 'done' | 'skipped' | 'failed' | 'interrupted'
  summary?: string
  commands: string[]
}

export interface WizardResult {
  profile: string
  steps: StepOutcome[]
  commands: string[]
  answersFile: string
}

export interface WizardOptions {
  config: LoadedConfig
  ui: Ui
  signal: AbortSignal
  overrides: StackOverrides
  /** --project: the GCP project id for the cloud steps (asked otherwise). */
  gcpProject?: string
  /** Where answers are saved (the project's dezc.yaml, or --config). */
  answersFile: string
  steps: Array<WizardStep<any>>
  /** Saves one answer; injected so tests of the flow need no files. */
  save(keyPath: string[], value: unknown): Promise<void>
}

export interface SavedAnswers {
  profile?: string
  steps?: Record<string, unknown>
}

export async function runWizard(o: WizardOptions): Promise<WizardResult> {
  const {resolveStack, profileNames} = await import('../env/settings.js')
  const saved = (o.config.raw('wizard') as SavedAnswers | undefined) ?? {}
  const names = profileNames(o.config)
  const defaultProfile =
    o.overrides.profile ?? saved.profile ?? (o.config.raw('defaultProfile') as string | undefined) ?? 'local'
  o.ui.reporter.info(
    'This wizard sets up the Data Engineering Zoomcamp environment step by step. Every step can be skipped; Ctrl-C stops at any time and keeps what is finished.\n',
  )
  // The edition first: it decides the images, ports and database of everything after it.
  const {COURSES, COURSE_DEFAULTS, resolveCourse} = await import('../config/course.js')
  const course =
    o.overrides.course ??
    (await o.ui.prompter.select({
      message: 'Which edition of the course do you follow?',
      choices: COURSES.map((c) => ({name: `${c} — ${COURSE_DEFAULTS[c].description}`, value: c})),
      default: resolveCourse(undefined, o.config.raw('course')),
      flagHint: '--course 2023|2026',
    }))
  await o.save(['course'], course)
  o.overrides = {...o.overrides, course}
  const profile =
    o.overrides.profile ??
    (await o.ui.prompter.select({
      message: 'Where should the database stack run?',
      choices: names.map((n) => ({
        name:
          n === 'local'
            ? "local — this machine's Docker engine"
            : n === 'synology'
              ? 'synology — a NAS reached over ssh:// or tcp://'
              : n,
        value: n,
      })),
      default: names.includes(defaultProfile) ? defaultProfile : 'local',
      flagHint: '--host NAME',
    }))
  await o.save(['wizard', 'profile'], profile)
  let stack = resolveStack(o.config, {...o.overrides, profile})
  if (stack.remoteRequired && !o.overrides.dockerHost) {
    // A NAS profile needs to know where the engine is; ask once and keep it in the profile.
    const {stackEndpoint} = await import('../env/engine.js')
    const {parseDockerHost} = await import('../docker/endpoint.js')
    try {
      stackEndpoint(stack)
    } catch {
      const host = await o.ui.prompter.input({
        message: 'Docker endpoint of the NAS (ssh://user@nas.local, or tcp://nas.local:2376)',
        flagHint: '--docker-host URL (or DOCKER_HOST)',
        validate: (v) => {
          if (!/^(ssh|tcp):\/\/./.test(v.trim())) return 'Use ssh://USER@HOST or tcp://HOST:PORT.'
          try {
            parseDockerHost(v.trim(), 'flag')
            return true
          } catch (error) {
            return (error as Error).message
          }
        },
      })
      await o.save(['profiles', profile, 'docker', 'host'], host.trim())
      o.overrides = {...o.overrides, dockerHost: host.trim()}
      stack = resolveStack(o.config, {...o.overrides, profile})
    }
  }
  const stackArgs = [
    profile === 'local' ? '' : ` --host ${profile}`,
    o.overrides.stack ? ` --stack ${o.overrides.stack}` : '',
    o.overrides.dockerHost ? ` --docker-host ${o.overrides.dockerHost}` : '',
    o.overrides.pgPort ? ` --pg-port ${o.overrides.pgPort}` : '',
    o.overrides.pgadminPort ? ` --pgadmin-port ${o.overrides.pgadminPort}` : '',
    o.overrides.noPgadmin ? ' --no-pgadmin' : '',
  ].join('')
  const ctx: WizardContext = {
    config: o.config,
    ui: o.ui,
    signal: o.signal,
    stack,
    stackArgs,
    shared: o.gcpProject ? {project: o.gcpProject} : {},
  }
  const outcomes: StepOutcome[] = []
  const result = (): WizardResult => ({
    profile,
    steps: outcomes,
    commands: outcomes.flatMap((s) => (s.status === 'done' ? s.commands : [])),
    answersFile: o.answersFile,
  })
  for (const step of o.steps) {
    if (o.signal.aborted) throw o.signal.reason ?? new InterruptedError()
    const previous = saved.steps?.[step.id] as unknown
    // Saved answers are untyped YAML; each step validates what it reads back.
    const answers = await step.ask(ctx, previous as never)
    if (answers === undefined) {
      outcomes.push({id: step.id, title: step.title, status: 'skipped', commands: []})
      await o.save(['wizard', 'steps', step.id], false)
      continue
    }
    try {
      const summary = await step.run(ctx, answers)
      outcomes.push({id: step.id, title: step.title, status: 'done', summary, commands: step.commands(ctx, answers)})
      await o.save(['wizard', 'steps', step.id], answers)
      o.ui.reporter.info(`✔ ${step.title}: ${summary}\n`)
    } catch (error) {
      const interrupted = o.signal.aborted || error instanceof InterruptedError
      outcomes.push({
        id: step.id,
        title: step.title,
        status: interrupted ? 'interrupted' : 'failed',
        commands: step.commands(ctx, answers),
      })
      // What was finished stays finished: say so before the error is printed.
      o.ui.reporter.info(renderSummary(result(), interrupted ? 'Interrupted' : 'Stopped'))
      throw error
    }
  }
  return result()
}
