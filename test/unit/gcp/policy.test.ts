import {describe, expect, it} from 'vitest'
import {
  addMember,
  hasUnconditionalRole,
  missingRoles,
  removeMember,
  rolesOf,
  type Policy,
} from '../../../src/gcp/policy.js'

const SA = 'serviceAccount:dezc-sa@p1.iam.gserviceaccount.com'
const base = (): Policy => ({
  version: 1,
  etag: 'BwYBUFm4BPE=',
  bindings: [
    {role: 'roles/owner', members: ['user:me@example.com']},
    {role: 'roles/viewer', members: ['user:friend@example.com']},
    {
      role: 'roles/storage.admin',
      members: [SA],
      condition: {title: 'only-temp', expression: 'resource.name.startsWith("projects/_/buckets/tmp")'},
    },
  ],
  auditConfigs: [{service: 'allServices', auditLogConfigs: [{logType: 'DATA_READ'}]}],
})

describe('addMember', () => {
  it('adds to existing unconditional bindings, creates missing ones, keeps etag, other members, conditions and audit configs', () => {
    const before = base()
    const {policy, changed, unchanged} = addMember(before, ['roles/viewer', 'roles/storage.admin'], SA)
    expect(changed).toEqual(['roles/viewer', 'roles/storage.admin'])
    expect(unchanged).toEqual([])
    expect(policy.version).toBe(3)
    expect(policy.etag).toBe('BwYBUFm4BPE=')
    expect(policy.auditConfigs).toEqual(before.auditConfigs)
    expect(policy.bindings).toEqual([
      {role: 'roles/owner', members: ['user:me@example.com']},
      {role: 'roles/viewer', members: ['user:friend@example.com', SA]},
      before.bindings![2],
      {role: 'roles/storage.admin', members: [SA]},
    ])
    // The input is not mutated.
    expect(before.bindings![1].members).toEqual(['user:friend@example.com'])
  })

  it('does not count a conditional binding as granting the role', () => {
    expect(hasUnconditionalRole(base(), 'roles/storage.admin', SA)).toBe(false)
    expect(missingRoles(base(), ['roles/storage.admin', 'roles/owner'], SA)).toEqual([
      'roles/storage.admin',
      'roles/owner',
    ])
  })

  it('reports nothing to change when every role is already held', () => {
    const once = addMember(base(), ['roles/viewer', 'roles/bigquery.admin'], SA).policy
    const again = addMember(once, ['roles/viewer', 'roles/bigquery.admin', 'roles/viewer'], SA)
    expect(again.changed).toEqual([])
    expect(again.unchanged).toEqual(['roles/viewer', 'roles/bigquery.admin'])
    expect(again.policy.bindings).toEqual(once.bindings)
  })

  it('refuses a policy read below version 3 (a conditional role rewritten as _withcond_)', () => {
    const p: Policy = {bindings: [{role: 'roles/storage.admin_withcond_2b1e4d', members: ['user:x@example.com']}]}
    expect(() => addMember(p, ['roles/viewer'], SA)).toThrow(/_withcond_/)
  })

  it('handles an empty policy', () => {
    const {policy, changed} = addMember({etag: 'ACAB'}, ['roles/viewer'], SA)
    expect(changed).toEqual(['roles/viewer'])
    expect(policy).toEqual({etag: 'ACAB', version: 3, bindings: [{role: 'roles/viewer', members: [SA]}]})
  })
})

describe('removeMember', () => {
  it('undoes addMember exactly, leaving conditional bindings and other members alone', () => {
    const before = base()
    const added = addMember(before, ['roles/viewer', 'roles/storage.admin', 'roles/bigquery.admin'], SA).policy
    const {policy, changed} = removeMember(added, ['roles/viewer', 'roles/storage.admin', 'roles/bigquery.admin'], SA)
    expect(changed).toEqual(['roles/viewer', 'roles/storage.admin', 'roles/bigquery.admin'])
    expect(policy.bindings).toEqual(before.bindings)
  })

  it('only removes the roles it is asked to', () => {
    const added = addMember(base(), ['roles/viewer', 'roles/bigquery.admin'], SA).policy
    const {policy, changed, unchanged} = removeMember(added, ['roles/bigquery.admin', 'roles/owner'], SA)
    expect(changed).toEqual(['roles/bigquery.admin'])
    expect(unchanged).toEqual(['roles/owner'])
    expect(rolesOf(policy, SA)).toEqual(['roles/viewer'])
  })
})
