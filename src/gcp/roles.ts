/**
 * The predefined roles `dezc lake`, `dezc bq` and `dezc ingest --to bigquery` need, the permissions
 * of each that dezc uses, and the broader roles that include them (so `dezc gcp bootstrap`'s list
 * can be checked against them, and a denied permission can be named by the role that grants it).
 * No I/O.
 */
export interface NeededRole {
  role: string
  title: string
  /** The permissions of the role dezc's commands use. */
  permissions: string[]
  /** Predefined roles that include all of them. */
  includedIn: string[]
}

export const LAKE_ROLES: NeededRole[] = [
  {
    role: 'roles/storage.objectAdmin',
    title: 'Storage Object Admin',
    permissions: ['storage.objects.create', 'storage.objects.delete', 'storage.objects.get', 'storage.objects.list'],
    includedIn: ['roles/storage.admin'],
  },
]

export const WAREHOUSE_ROLES: NeededRole[] = [
  {
    role: 'roles/bigquery.dataEditor',
    title: 'BigQuery Data Editor',
    permissions: [
      'bigquery.datasets.get',
      'bigquery.tables.create',
      'bigquery.tables.delete',
      'bigquery.tables.get',
      'bigquery.tables.getData',
      'bigquery.tables.update',
      'bigquery.tables.updateData',
    ],
    includedIn: ['roles/bigquery.admin'],
  },
  {
    role: 'roles/bigquery.jobUser',
    title: 'BigQuery Job User',
    permissions: ['bigquery.jobs.create'],
    includedIn: ['roles/bigquery.admin', 'roles/bigquery.user'],
  },
]

/** The role (of those dezc needs) that grants a permission. */
export function roleForPermission(permission: string): NeededRole | undefined {
  return [...LAKE_ROLES, ...WAREHOUSE_ROLES].find((r) => r.permissions.includes(permission))
}

/** The needed roles a list of granted roles does not cover (neither the role nor one including it). */
export function rolesNotCovered(
  granted: string[],
  needed: NeededRole[] = [...LAKE_ROLES, ...WAREHOUSE_ROLES],
): NeededRole[] {
  const g = new Set(granted)
  return needed.filter((r) => !g.has(r.role) && !r.includedIn.some((x) => g.has(x)))
}

/** "Storage Object Admin (roles/storage.objectAdmin)". */
export const roleLabel = (r: NeededRole) => `${r.title} (${r.role})`
