/** Flags of the `dezc tf` commands (command layer only: services never import this). */
import {Flags} from '@oclif/core'
import {dryRunFlag} from '../core/flags.js'

export const dirFlag = {
  dir: Flags.string({
    description: 'Directory of the terraform files (default ./terraform; env DEZC_TF_DIR; config tf.dir).',
    helpGroup: 'TERRAFORM',
  }),
}

export const credentialsFlag = {
  credentials: Flags.string({
    description:
      'Service-account key file for terraform, or "adc" for gcloud application-default login (default: GOOGLE_APPLICATION_CREDENTIALS, config, the key from dezc gcp bootstrap, then ADC).',
    helpGroup: 'TERRAFORM',
  }),
}

export const valueFlags = {
  project: Flags.string({
    description:
      "GCP project id (env DEZC_GCP_PROJECT, GOOGLE_CLOUD_PROJECT; config tf.project or gcp.project; gcloud's project).",
    helpGroup: 'TERRAFORM',
  }),
  region: Flags.string({
    description: 'Provider region (default us-central1; env DEZC_TF_REGION; config tf.region).',
    helpGroup: 'TERRAFORM',
  }),
  location: Flags.string({
    description:
      'Location of both bucket and dataset: US, EU or a region (default follows the region: us-* => US, europe-* => EU).',
    helpGroup: 'TERRAFORM',
  }),
  bucket: Flags.string({
    description:
      'Bucket name, globally unique (default <project>-dezc-data-lake; env DEZC_TF_BUCKET; config tf.bucket).',
    helpGroup: 'TERRAFORM',
  }),
  dataset: Flags.string({
    description: 'BigQuery dataset id (default trips_data_all; env DEZC_TF_DATASET; config tf.dataset).',
    helpGroup: 'TERRAFORM',
  }),
  'storage-class': Flags.string({
    description: 'Bucket storage class: STANDARD (default), NEARLINE, COLDLINE, ARCHIVE.',
    helpGroup: 'TERRAFORM',
  }),
}

export const initFlags = {
  ...dirFlag,
  ...valueFlags,
  ...credentialsFlag,
  force: Flags.boolean({description: 'Overwrite files you edited (a copy of each goes to <file>.bak).'}),
  'skip-terraform-init': Flags.boolean({description: 'Only write the files; do not run terraform init.'}),
  ...dryRunFlag,
}

export const runFlags = {...dirFlag, ...credentialsFlag, ...dryRunFlag}

export const installFlags = {
  version: Flags.string({
    description: 'terraform version, or "latest" (default 1.11.4; env DEZC_TF_VERSION; config tf.version).',
  }),
  mirror: Flags.string({
    description:
      'Release mirror base URL (default https://releases.hashicorp.com/terraform; env DEZC_TF_MIRROR; config tf.mirror).',
  }),
  'bin-dir': Flags.string({
    description: 'Where to put the binary (default ~/.local/bin; env DEZC_TF_BIN_DIR; config tf.binDir).',
  }),
  force: Flags.boolean({description: 'Reinstall even when this version is already there.'}),
  ...dryRunFlag,
}
