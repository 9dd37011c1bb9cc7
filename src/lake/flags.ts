/** Flags of `dezc lake upload|ls` (only @oclif/core's Flags; no logic). */
import {Args, Flags} from '@oclif/core'

/** The <dataset> [periods...] arguments of the commands that take trip months (lake upload, bq load). */
export function tripMonthArgs(periodsNote = '') {
  return {
    dataset: Args.string({description: 'yellow, green, fhv or fhvhv', required: true}),
    periods: Args.string({description: `Months: 2021-01, 2021-01..2021-06, 2021 (several allowed${periodsNote})`}),
  }
}

export const lakeTargetFlags = {
  bucket: Flags.string({
    description:
      "Bucket to use (default: DEZC_LAKE_BUCKET, config lake.bucket, else the bucket `dezc tf` set up: gcs_bucket_name in the tf dir's terraform.tfvars, config tf.bucket).",
    helpGroup: 'LAKE',
  }),
  'tf-dir': Flags.string({
    description: 'The dezc tf directory to read the bucket from (default: DEZC_TF_DIR, config tf.dir, ./terraform).',
    helpGroup: 'LAKE',
  }),
  'api-root': Flags.string({
    description:
      'Cloud Storage endpoint instead of https://storage.googleapis.com (default: DEZC_GCS_API_ROOT, DEZC_GOOGLE_API_ROOT, config lake.apiRoot); e.g. a fake-gcs-server.',
    helpGroup: 'LAKE',
  }),
}

export const lakeUploadFlags = {
  ...lakeTargetFlags,
  'as-is': Flags.boolean({
    description:
      'Upload the TLC file untouched instead of the canonical schema (column names and types can then differ between months).',
  }),
  force: Flags.boolean({
    description:
      'Replace objects that already hold this month (default: same content is skipped, other content is an error).',
  }),
  jobs: Flags.integer({
    description: 'Months in flight at once (download, normalise, upload; default 4, config lake.jobs).',
    min: 1,
    max: 16,
  }),
  'base-url': Flags.string({
    description: 'Where the TLC trip files are (default: the TLC CDN; config ingest.baseUrl).',
    env: 'DEZC_INGEST_BASE_URL',
  }),
  'no-cache': Flags.boolean({description: 'Download the TLC files again even when the cached copy is current.'}),
}

export interface LakeTargetFlagValues {
  bucket?: string
  'tf-dir'?: string
  'api-root'?: string
}
