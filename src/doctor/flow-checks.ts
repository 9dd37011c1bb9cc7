/**
 * Doctor checks for the Prefect project of `dezc flow` (./flow, or flow.dir / DEZC_FLOW_DIR): is
 * Prefect installed there, does its server answer, is its worker alive. Read-only (observeFlow);
 * skipped without a project, so users who never ran `dezc flow init` see no noise.
 */
import type {FlowObservation} from '../flow/plan.js'
import {fail, ok, skip, warn, type Check, type CheckOutcome} from './check.js'
import type {DoctorContext} from './env-checks.js'

const observations = new WeakMap<DoctorContext, Promise<{dir: string; venv: string; o: FlowObservation}>>()

function observe(ctx: DoctorContext): Promise<{dir: string; venv: string; o: FlowObservation}> {
  let r = observations.get(ctx)
  if (!r) {
    r = Promise.all([import('../flow/settings.js'), import('../flow/plan.js')]).then(
      async ([{resolveFlowSettings}, {observeFlow}]) => {
        const settings = resolveFlowSettings({flags: {}, config: ctx.config, env: ctx.env})
        return {dir: settings.paths.dir, venv: settings.venv, o: await observeFlow(settings)}
      },
    )
    observations.set(ctx, r)
  }
  return r
}

function flowCheck(
  id: string,
  title: string,
  judge: (f: {dir: string; venv: string; o: FlowObservation}) => CheckOutcome,
): Check<DoctorContext> {
  return {
    id: `flow.${id}`,
    group: 'Workflows (Prefect)',
    title,
    async run(ctx) {
      const f = await observe(ctx)
      if (!f.o.initialized) return skip(`no flow project in ${f.dir} (dezc flow init makes one)`)
      return judge(f)
    },
  }
}

export const flowChecks: Array<Check<DoctorContext>> = [
  flowCheck('prefect', 'Prefect installed', ({venv, o}) =>
    o.prefectInstalled
      ? ok(`prefect in ${venv}`)
      : fail(`no prefect in ${venv}`, 'dezc flow up (installs the pinned Prefect there)'),
  ),
  flowCheck('server', 'Prefect server', ({dir, o}) => {
    if (o.server.healthy) return ok(`answers on http://127.0.0.1:${o.port}/api/health`)
    if (o.portTaken)
      return fail(`port ${o.port} is held by another program`, `dezc flow up --dir ${dir} --port <free port>`)
    return warn(
      o.server.alive ? `running (pid ${o.server.pid}) but not healthy` : 'not running',
      `dezc flow up --dir ${dir}`,
    )
  }),
  flowCheck('worker', 'Prefect worker', ({dir, o}) =>
    o.worker.alive
      ? ok(`alive (pid ${o.worker.pid})`)
      : warn('not running: scheduled runs will wait', `dezc flow up --dir ${dir}`),
  ),
]
