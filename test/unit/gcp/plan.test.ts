import {describe, expect, it} from 'vitest'
import {SA_DESCRIPTION} from '../../../src/gcp/defaults.js'
import {planTeardown} from '../../../src/gcp/plan.js'
import type {Target} from '../../../src/gcp/settings.js'

const t: Target = {
  project: 'my-proj-123',
  saName: 'dezc-sa',
  email: 'dezc-sa@my-proj-123.iam.gserviceaccount.com',
  services: [],
  roles: ['roles/viewer'],
  keyFile: '/h/.gc/dezc-sa.json',
}
const member = `serviceAccount:${t.email}`

describe('teardown plan', () => {
  it('removes only what dezc added: bindings, its keys, the account it created, the local key file', () => {
    const plan = planTeardown(
      {
        account: {email: t.email, description: SA_DESCRIPTION},
        policy: {
          version: 3,
          bindings: [
            {role: 'roles/viewer', members: [member]},
            {role: 'roles/owner', members: [member]},
          ],
        },
        local: {state: 'present', file: t.keyFile, clientEmail: t.email, keyId: 'k1'},
        keyIds: ['k1', 'other'],
      },
      t,
    )
    expect(plan.map((p) => [p.step, p.action, p.detail])).toEqual([
      ['roles', 'change', 'remove roles/viewer'],
      ['key', 'change', 'delete 1 key(s) dezc created'],
      ['account', 'change', `delete ${t.email}`],
      ['keyfile', 'change', `delete ${t.keyFile}`],
    ])
  })
  it('keeps an account dezc did not create unless --delete-account', () => {
    const seen = {account: {email: t.email}, local: {state: 'missing', file: t.keyFile} as const, keyIds: []}
    expect(planTeardown(seen, t).find((p) => p.step === 'account')?.action).toBe('none')
    expect(planTeardown(seen, t, {deleteAccount: true}).find((p) => p.step === 'account')?.gcloud).toEqual([
      `gcloud iam service-accounts delete ${t.email} --project my-proj-123 --quiet`,
    ])
  })
})
