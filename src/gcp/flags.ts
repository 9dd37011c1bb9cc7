/** Flags shared by `dezc gcp bootstrap|status|teardown` (only @oclif/core's Flags; no logic). */
import {Flags} from '@oclif/core'

export const gcpTargetFlags = {
  project: Flags.string({
    description:
      "Google Cloud project ID (not its name). Default: GOOGLE_CLOUD_PROJECT, config gcp.project, the ADC quota project, gcloud's project, else a prompt.",
    helpGroup: 'GCP',
  }),
  'sa-name': Flags.string({
    description: 'Service account name (the part before @). Default: config gcp.serviceAccount, else dezc-sa.',
    helpGroup: 'GCP',
  }),
  roles: Flags.string({
    description:
      'Project roles for the account, comma-separated (default: roles/viewer, roles/storage.admin, roles/storage.objectAdmin, roles/bigquery.admin).',
    multiple: true,
    helpGroup: 'GCP',
  }),
  apis: Flags.string({
    description:
      'APIs to enable, comma-separated (default: iam, iamcredentials, cloudresourcemanager, storage, bigquery).',
    multiple: true,
    helpGroup: 'GCP',
  }),
  'key-dir': Flags.string({
    description: 'Directory for the JSON key file <sa-name>.json (default: ~/.gc; config gcp.keyDir).',
    helpGroup: 'GCP',
  }),
  'api-root': Flags.string({
    description:
      'Send every Google API call (and the OAuth token endpoint) to this base URL, keeping the real paths; for tests and private endpoints.',
    env: 'DEZC_GOOGLE_API_ROOT',
    helpGroup: 'GCP',
  }),
}

export interface GcpTargetFlagValues {
  project?: string
  'sa-name'?: string
  roles?: string[]
  apis?: string[]
  'key-dir'?: string
  'api-root'?: string
}
