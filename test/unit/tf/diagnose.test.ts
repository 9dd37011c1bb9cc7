/** terraform's (google provider's) error texts mapped to dezc errors with a fix. The texts are the providers' own wording. */
import {describe, expect, it} from 'vitest'
import {diagnose, firstErrorLine} from '../../../src/tf/diagnose.js'

const ctx = {step: 'apply', dir: '/w/terraform', project: 'my-proj-123', bucket: 'my-proj-123-lake', dataset: 'ny_taxi'}
const box = (text: string) =>
  `╷\n│ Error: ${text}\n│ \n│   with google_storage_bucket.data_lake,\n│   on main.tf line 22\n╵\n`

describe('diagnose', () => {
  it.each([
    [
      'TF_NO_CREDENTIALS',
      4,
      box(
        "Attempted to load application default credentials since neither `credentials` nor `access_token` was set in the provider block.  No credentials loaded. To use your gcloud credentials, run 'gcloud auth application-default login'",
      ),
      /no Google credentials/,
      /dezc gcp bootstrap --project my-proj-123/,
    ],
    [
      'TF_CREDENTIALS_INVALID',
      4,
      box(
        'oauth2: cannot fetch token: 400 Bad Request\nResponse: {"error":"invalid_grant","error_description":"Invalid JWT Signature."}',
      ),
      /rejected the credentials/,
      /Re-create the key/,
    ],
    [
      'TF_QUOTA_PROJECT',
      4,
      box(
        'googleapi: Error 403: Your application is authenticating by using local Application Default Credentials. The storage.googleapis.com API requires a quota project, which is not set by default.',
      ),
      /quota project/,
      /set-quota-project my-proj-123/,
    ],
    [
      'TF_BILLING_DISABLED',
      4,
      box(
        'googleapi: Error 403: The billing account for the owning project is disabled in state absent, accountDisabled',
      ),
      /Billing is not enabled for project my-proj-123/,
      /billing\/linkedaccount\?project=my-proj-123/,
    ],
    [
      'TF_API_DISABLED',
      4,
      box(
        'Error creating Dataset: googleapi: Error 403: BigQuery API has not been used in project 123456789 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/bigquery.googleapis.com/overview?project=123456789 then retry.',
      ),
      /Google API \(bigquery\.googleapis\.com\) is disabled in project 123456789/,
      /gcloud services enable bigquery\.googleapis\.com --project my-proj-123/,
    ],
    [
      'TF_BUCKET_NAME_TAKEN',
      1,
      box(
        'googleapi: Error 409: The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again., conflict',
      ),
      /"my-proj-123-lake" is already taken/,
      /--bucket/,
    ],
    [
      'TF_BUCKET_ALREADY_YOURS',
      1,
      box(
        'googleapi: Error 409: Your previous request to create the named bucket succeeded and you already own it., conflict',
      ),
      /already exists in your account/,
      /terraform import google_storage_bucket\.data_lake my-proj-123-lake/,
    ],
    [
      'TF_DATASET_NOT_EMPTY',
      1,
      box(
        'Error when reading or editing Dataset: googleapi: Error 400: Dataset my-proj-123:ny_taxi is still in use, resourceInUse',
      ),
      /"ny_taxi" still has tables/,
      /bq_delete_contents_on_destroy = true/,
    ],
    [
      'TF_DATASET_EXISTS',
      1,
      box('Error creating Dataset: googleapi: Error 409: Already Exists: Dataset my-proj-123:ny_taxi, duplicate'),
      /already exists but is not in this directory's terraform state/,
      /projects\/my-proj-123\/datasets\/ny_taxi/,
    ],
    [
      'TF_PERMISSION_DENIED',
      4,
      box(
        'googleapi: Error 403: sa@my-proj-123.iam.gserviceaccount.com does not have storage.buckets.create access to the Google Cloud project., forbidden',
      ),
      /Permission denied \(storage\.buckets\.create\)/,
      /Storage Admin, BigQuery Admin/,
    ],
    [
      'TF_NOT_INITIALIZED',
      1,
      box(
        'Inconsistent dependency lock file\n│ The following dependency selections recorded in the lock file are inconsistent with the current configuration',
      ),
      /needs \(re-\)initialising/,
      /dezc tf init --dir \/w\/terraform/,
    ],
    [
      'TF_REGISTRY_UNREACHABLE',
      4,
      '\nError: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider hashicorp/google: could not connect to registry.terraform.io',
      /could not download the google provider/,
      /registry\.terraform\.io/,
    ],
  ])('%s', (code, exit, output, message, suggestion) => {
    const e = diagnose(output, 1, ctx)
    expect(e.code).toBe(code)
    expect(e.exit).toBe(exit)
    expect(e.message).toMatch(/^terraform apply failed: /)
    expect(e.message).toMatch(message)
    expect(e.suggestions.join('\n')).toMatch(suggestion)
    expect(e.details).toMatchObject({step: 'apply', terraformExit: 1})
  })

  it("anything else: the first Error line of terraform's output, with exit code and retry hint", () => {
    const e = diagnose(box('Unsupported argument') + '\nmore', 1, {step: 'plan', dir: '/w/tf'})
    expect(e.code).toBe('TF_FAILED')
    expect(e.message).toBe('terraform plan failed (exit 1): Unsupported argument')
    expect(e.suggestions[0]).toMatch(/cd \/w\/tf && terraform plan/)
    expect(diagnose('segfault', 2, {step: 'init', dir: '/d'}).message).toBe('terraform init failed (exit 2).')
  })

  it.each([
    ['without colour (-no-color)', (l: string) => l],
    ['in the box terraform draws on a terminal', (l: string) => `│ ${l}`],
  ])(
    'a held state lock (terraform 1.11 text, %s): who holds it, since when, and the force-unlock command',
    (_label, wrap) => {
      const out = [
        'Error: Error acquiring the state lock',
        '',
        'Error message: resource temporarily unavailable',
        'Lock Info:',
        '  ID:        d39cab5e-bfc0-59fe-5de8-dcce0571a12d',
        '  Path:      terraform.tfstate',
        '  Operation: OperationTypeApply',
        '  Who:       root@vm',
        '  Version:   1.11.4',
        '  Created:   2026-12-03 16:41:33.352977528 +0000 UTC',
        '  Info:      ',
      ]
        .map(wrap)
        .join('\n')
      const e = diagnose(out, 1, ctx)
      expect(e.code).toBe('TF_STATE_LOCKED')
      expect(e.exit).toBe(1)
      expect(e.message).toBe(
        'terraform apply failed: the terraform state in /w/terraform is locked by another terraform run (apply by root@vm since 2026-12-03 16:41:33 +0000 UTC).',
      )
      expect(e.suggestions).toEqual([
        'Wait for that run to finish, then retry.',
        'If no terraform is running any more (it was killed), release the lock: cd /w/terraform && terraform force-unlock d39cab5e-bfc0-59fe-5de8-dcce0571a12d',
      ])
    },
  )

  it('firstErrorLine strips the box drawing', () => {
    expect(firstErrorLine('noise\n│ Error: Something broke\n')).toBe('Something broke')
    expect(firstErrorLine('all good')).toBeUndefined()
  })
})
