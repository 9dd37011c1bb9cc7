/**
 * Doctor rows for the lake and the warehouse: the bucket dezc lake uses (exists, its location, the
 * object permissions the account has) and the BigQuery dataset dezc bq uses (exists, its location,
 * readable from the bucket's). Read-only. Nothing set up yet or no credentials: skipped, with why.
 */
import {DezcError} from '../core/errors.js'
import {PolicyPrompter} from '../core/ui.js'
import {fail, failFromError, ok, skip, warn, type Check, type CheckOutcome} from './check.js'
import type {DoctorContext} from './env-checks.js'

const NOT_SET_UP = new Set(['LAKE_BUCKET_REQUIRED', 'NO_CREDENTIALS', 'NON_INTERACTIVE'])

/** The bucket's location, shared by both rows (one metadata read). */
const bucketLocations = new WeakMap<
  DoctorContext,
  Promise<{bucket: string; location?: string; outcome: CheckOutcome}>
>()

function bucketRow(ctx: DoctorContext) {
  let p = bucketLocations.get(ctx)
  if (!p) {
    p = (async () => {
      const {resolveLakeSettings} = await import('../lake/settings.js')
      let bucket = ''
      try {
        const s = await resolveLakeSettings({flags: {}, config: ctx.config, env: ctx.env})
        bucket = s.bucket
        const {openStorage, storageError, checkObjectPermissions} = await import('../lake/storage.js')
        const clients = await openStorage({apiRoot: s.apiRoot, env: ctx.env})
        let location: string
        try {
          const [meta] = await clients.storage.bucket(s.bucket).getMetadata()
          location = String(meta.location ?? '?')
        } catch (error) {
          throw storageError(error, {bucket: s.bucket, action: 'reading the bucket', endpoint: clients.endpoint})
        }
        try {
          await checkObjectPermissions(clients, s.bucket)
        } catch (error) {
          if (error instanceof DezcError && error.code === 'PERMISSION_DENIED')
            return {bucket, location, outcome: fail(error.message, error.suggestions[0] ?? 'dezc gcp bootstrap')}
          throw error
        }
        return {bucket, location, outcome: ok(`gs://${s.bucket} in ${location} (${s.bucketSource})`)}
      } catch (error) {
        if (error instanceof DezcError && NOT_SET_UP.has(error.code))
          return {bucket, outcome: skip(`${error.message.split('\n')[0]}`)}
        return {bucket, outcome: failFromError(error, 'dezc tf apply (creates the bucket)')}
      }
    })()
    bucketLocations.set(ctx, p)
  }
  return p
}

async function datasetRow(ctx: DoctorContext, signal: AbortSignal): Promise<CheckOutcome> {
  try {
    const {resolveBqSettings} = await import('../bq/settings.js')
    const s = await resolveBqSettings({
      flags: {},
      config: ctx.config,
      prompter: new PolicyPrompter(false, false),
      needBucket: false,
      env: ctx.env,
    })
    const {openBigQuery, datasetLocation} = await import('../bq/client.js')
    const client = await openBigQuery({project: s.project, apiRoot: s.apiRoot, env: ctx.env})
    const location = await datasetLocation(client, s.bqDataset, `reading the dataset ${s.bqDataset}`)
    const where = `${s.project}:${s.bqDataset} in ${location} (${s.bqDatasetSource})`
    const b = await bucketRow(ctx)
    if (b.location) {
      const {locationsCompatible} = await import('../bq/plan.js')
      if (!locationsCompatible(b.location, location))
        return fail(
          `${where}; the bucket gs://${b.bucket} is in ${b.location}: BigQuery cannot read it from this dataset.`,
          'Keep both in one location (dezc tf sets both from `location`), or --bq-dataset a dataset in the bucket location',
        )
    }
    void signal
    return ok(where)
  } catch (error) {
    if (error instanceof DezcError && NOT_SET_UP.has(error.code)) return skip(`${error.message.split('\n')[0]}`)
    if (error instanceof DezcError && error.code === 'BQ_DATASET_NOT_FOUND')
      return warn(error.message.split('\n')[0], error.suggestions[0] ?? 'dezc tf apply (creates the dataset)')
    return failFromError(error, 'dezc tf apply (creates the dataset)')
  }
}

export const lakeChecks: Array<Check<DoctorContext>> = [
  {
    id: 'lake.bucket',
    group: 'Lake and warehouse',
    title: 'GCS bucket',
    run: async (ctx) => (await bucketRow(ctx)).outcome,
  },
  {
    id: 'bq.dataset',
    group: 'Lake and warehouse',
    title: 'BigQuery dataset',
    run: (ctx, signal) => datasetRow(ctx, signal),
  },
]
