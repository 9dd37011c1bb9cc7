/**
 * Names and values terraform will send to Google, checked before terraform sees them: a bad name
 * fails here in milliseconds with the rule that was broken, instead of after `terraform apply`
 * has talked to the API. Pure functions, no I/O.
 */
import {usageError, type DezcError} from '../core/errors.js'

/** A GCP project id as the console creates them (6-30 chars). Students often paste the display name instead. */
export const PROJECT_ID_RE = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/

export function projectIdProblem(id: string): string | undefined {
  if (PROJECT_ID_RE.test(id)) return undefined
  if (/[A-Z\s]/.test(id))
    return 'project ids are lowercase with no spaces (this looks like the project name; the id is shown under it in the console)'
  if (id.length < 6 || id.length > 30) return `project ids are 6 to 30 characters (got ${id.length})`
  if (!/^[a-z]/.test(id)) return 'project ids start with a lowercase letter'
  if (/-$/.test(id)) return 'project ids cannot end with "-"'
  return 'project ids use lowercase letters, digits and "-"'
}

/**
 * Cloud Storage bucket naming rules (https://cloud.google.com/storage/docs/buckets#naming):
 * lowercase letters, digits, "-", "_" and "."; start and end with a letter or digit; 3-63
 * characters (up to 222 when dotted, each dot-separated part at most 63); not an IP address;
 * no "goog" prefix; no "google" or close misspellings.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3) return `bucket names have at least 3 characters (got ${name.length})`
  const dotted = name.includes('.')
  if (!dotted && name.length > 63) return `bucket names have at most 63 characters (got ${name.length})`
  if (dotted && name.length > 222) return `dotted bucket names have at most 222 characters (got ${name.length})`
  if (/[A-Z]/.test(name)) return 'bucket names are lowercase'
  const bad = name.match(/[^a-z0-9._-]/)
  if (bad) return `bucket names may contain only lowercase letters, digits, "-", "_" and "." (found "${bad[0]}")`
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'bucket names start and end with a letter or digit'
  if (dotted) {
    if (name.split('.').some((part) => part.length === 0 || part.length > 63))
      return 'each dot-separated part of a bucket name has 1 to 63 characters'
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'bucket names cannot be IP addresses'
  }
  if (name.startsWith('goog')) return 'bucket names cannot start with "goog"'
  if (/g[o0]{2}g(l|1)e/.test(name)) return 'bucket names cannot contain "google" or close misspellings'
  return undefined
}

/** BigQuery dataset ids: letters (either case), digits and underscores, at most 1,024 characters. */
export function datasetIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'dataset ids cannot be empty'
  if (id.length > 1024) return `dataset ids have at most 1024 characters (got ${id.length})`
  const bad = id.match(/[^A-Za-z0-9_]/)
  if (bad)
    return `dataset ids may contain only letters, digits and underscores (found "${bad[0]}"${bad[0] === '-' ? '; use "_" instead of "-"' : ''})`
  return undefined
}

export const STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'] as const

export function normalizeStorageClass(value: string): string | undefined {
  const upper = value.trim().toUpperCase()
  return (STORAGE_CLASSES as readonly string[]).includes(upper) ? upper : undefined
}

const REGION_RE = /^[a-z]+-[a-z]+\d+$/

export function regionProblem(region: string): string | undefined {
  return REGION_RE.test(region) ? undefined : 'regions look like "us-central1" or "europe-west6"'
}

/**
 * One location for both the bucket and the dataset, so later load jobs (GCS -> BigQuery) work.
 * Only US, EU and single regions exist for both services: Cloud Storage's ASIA multi-region and
 * its dual-regions (NAM4, EUR4, ...) have no BigQuery dataset equivalent.
 */
export function normalizeLocation(value: string): {location?: string; problem?: string} {
  const v = value.trim()
  const upper = v.toUpperCase()
  if (upper === 'US' || upper === 'EU') return {location: upper}
  if (REGION_RE.test(v.toLowerCase())) return {location: v.toLowerCase()}
  if (upper === 'ASIA')
    return {
      problem:
        'BigQuery has no ASIA multi-region, so a bucket there could not share its location with the dataset; use a region such as asia-east1',
    }
  if (/^[A-Z]+\d+$/.test(upper))
    return {
      problem: `"${v}" is a Cloud Storage dual-region; BigQuery datasets cannot live there, so use US, EU or one region such as us-central1`,
    }
  return {problem: 'locations are US, EU or a region such as us-central1 (the bucket and the dataset share it)'}
}

/** The location that matches a region when only --region was given: us-* => US, europe-* => EU, else the region itself. */
export function locationForRegion(region: string): string {
  if (region.startsWith('us-')) return 'US'
  if (region.startsWith('europe-')) return 'EU'
  return region
}

/** Bucket names are global: derive one from the (globally unique) project id. */
export function defaultBucketName(project: string): string {
  const candidate = `${project}-dezc-data-lake`
  if (!bucketNameProblem(candidate)) return candidate
  // Projects named goog*/…google… cannot lend their id to a bucket name as-is.
  return `dezc-data-lake-${project.replace(/g[o0]{2}g(l|1)e/g, 'gcp').replace(/^goog/, 'gcp')}`
}

export function invalidValue(what: string, value: string, problem: string, flag: string): DezcError {
  return usageError(
    'TF_INVALID_VALUE',
    `Invalid ${what} "${value}": ${problem}.`,
    `Pass a valid value with ${flag} (or fix it in the config file).`,
  )
}
