import {describe, expect, it} from 'vitest'
import {DEFAULT_ROLES} from '../../../src/gcp/defaults.js'
import {LAKE_ROLES, WAREHOUSE_ROLES, roleForPermission, rolesNotCovered} from '../../../src/gcp/roles.js'

describe('the roles dezc lake / bq need', () => {
  it("dezc gcp bootstrap's default roles cover Storage Object Admin, BigQuery Data Editor and Job User", () => {
    expect(rolesNotCovered(DEFAULT_ROLES)).toEqual([])
  })

  it('names what a narrower grant lacks', () => {
    expect(rolesNotCovered(['roles/viewer', 'roles/bigquery.dataEditor']).map((r) => r.role)).toEqual([
      'roles/storage.objectAdmin',
      'roles/bigquery.jobUser',
    ])
    expect(rolesNotCovered(['roles/storage.admin', 'roles/bigquery.user', 'roles/bigquery.dataEditor'])).toEqual([])
  })

  it('a denied permission is named by the role that grants it', () => {
    expect(roleForPermission('bigquery.jobs.create')?.title).toBe('BigQuery Job User')
    expect(roleForPermission('bigquery.tables.updateData')?.title).toBe('BigQuery Data Editor')
    expect(roleForPermission('storage.objects.create')?.title).toBe('Storage Object Admin')
    expect(roleForPermission('compute.instances.list')).toBeUndefined()
    expect([...LAKE_ROLES, ...WAREHOUSE_ROLES].every((r) => r.permissions.length > 0)).toBe(true)
  })
})
