/** Flags of `dezc bq external|load|query` (only @oclif/core's Flags; no logic). */
import {Flags} from '@oclif/core'
import {lakeTargetFlags} from '../lake/flags.js'

export const bqTargetFlags = {
  project: Flags.string({
    description:
      'Google Cloud project ID (default: GOOGLE_CLOUD_PROJECT, config bq.project / gcp.project / tf.project, the project in terraform.tfvars, the ADC quota project, gcloud).',
    helpGroup: 'BQ',
  }),
  'bq-dataset': Flags.string({
    description:
      'BigQuery dataset (default: DEZC_BQ_DATASET, config bq.dataset, bq_dataset_name in the tf dir, config tf.dataset, trips_data_all).',
    helpGroup: 'BQ',
  }),
  'api-root': Flags.string({
    description:
      'BigQuery endpoint instead of https://bigquery.googleapis.com (default: DEZC_BQ_API_ROOT, DEZC_GOOGLE_API_ROOT, config bq.apiRoot); the bucket endpoint is the one dezc lake uses (DEZC_GCS_API_ROOT, config lake.apiRoot).',
    helpGroup: 'BQ',
  }),
  'tf-dir': lakeTargetFlags['tf-dir'],
}

export const bqBucketFlags = {
  ...bqTargetFlags,
  bucket: lakeTargetFlags.bucket,
}

export const bqLoadFlags = {
  ...bqBucketFlags,
  force: Flags.boolean({description: 'Replace months the ledger says are loaded (exactly their rows).'}),
}

export const bqQueryFlags = {
  ...bqTargetFlags,
  'usd-per-tib': Flags.string({
    description:
      'On-demand price per TiB scanned for the estimate (default 6.25; DEZC_BQ_USD_PER_TIB, config bq.usdPerTib).',
  }),
  'max-rows': Flags.integer({description: 'Rows of the result to print (default 100).', min: 0, default: 100}),
}

export interface BqTargetFlagValues {
  project?: string
  'bq-dataset'?: string
  'api-root'?: string
  'tf-dir'?: string
  bucket?: string
  'usd-per-tib'?: string
}

/** The settings input from parsed flags. */
export function bqFlagValues(f: BqTargetFlagValues) {
  return {
    project: f.project,
    bqDataset: f['bq-dataset'],
    apiRoot: f['api-root'],
    tfDir: f['tf-dir'],
    bucket: f.bucket,
    usdPerTib: f['usd-per-tib'] === undefined ? undefined : Number(f['usd-per-tib']),
  }
}
