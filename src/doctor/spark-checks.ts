/**
 * Doctor checks for Java and Spark, from the `spark doctor` service (the same checks, one row
 * each), run once per doctor run and without starting a JVM so the whole doctor stays fast.
 */
import type {DoctorResult as SparkDoctorResult} from '../spark/doctor.js'
import {skip, type Check, type CheckOutcome} from './check.js'
import type {DoctorContext} from './env-checks.js'

const runs = new WeakMap<DoctorContext, Promise<SparkDoctorResult>>()

function sparkReport(ctx: DoctorContext): Promise<SparkDoctorResult> {
  let r = runs.get(ctx)
  if (!r) {
    r = Promise.all([import('../spark/doctor.js'), import('../spark/platform.js')]).then(
      ([{sparkDoctor}, {nodePlatform}]) => sparkDoctor({platform: nodePlatform(ctx.env), skipSubmit: true}),
    )
    runs.set(ctx, r)
  }
  return r
}

function fromSpark(id: string, title: string): Check<DoctorContext> {
  return {
    id: `spark.${id}`,
    group: 'Java and Spark',
    title,
    async run(ctx): Promise<CheckOutcome> {
      const c = (await sparkReport(ctx)).checks.find((x) => x.id === id)
      if (!c) return skip('not applicable here')
      return {status: c.status, detail: c.detail, ...(c.fix && c.status !== 'ok' ? {fix: c.fix} : {})}
    },
  }
}

export const sparkChecks: Array<Check<DoctorContext>> = [
  fromSpark('java-home', 'JAVA_HOME'),
  fromSpark('java-version', 'Java version'),
  fromSpark('spark-home', 'SPARK_HOME'),
  fromSpark('pythonpath', 'PYTHONPATH'),
]
