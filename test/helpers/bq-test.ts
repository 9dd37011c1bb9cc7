/** What the tests over the BigQuery stand-in share: a clean Google environment, and reads of what the stand-in holds. */
import {expect} from 'vitest'
import type {CliResult} from './cli.js'
import type {FakeBigQuery} from './fake-bigquery.js'

/** No credential, project or endpoint of the machine leaks into the tests. */
export function clearGoogleEnv(): void {
  for (const v of [
    'GOOGLE_APPLICATION_CREDENTIALS',
    'GOOGLE_CLOUD_PROJECT',
    'CLOUDSDK_CORE_PROJECT',
    'DEZC_GOOGLE_API_ROOT',
  ])
    delete process.env[v]
}

export const ok = (r: CliResult) => expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0)

/** The load jobs the stand-in was sent (since its last clear()). */
export const loadJobs = (bq: FakeBigQuery) =>
  bq.requests.filter((r) => r.method === 'POST' && r.body?.configuration?.load)

/** Rows per dezc_month of a native table ("ds"."table"). */
export async function perMonth(bq: FakeBigQuery, table: string): Promise<Record<string, number>> {
  return Object.fromEntries(
    (await bq.sql(`SELECT dezc_month AS m, count(*) AS n FROM ${table} GROUP BY 1 ORDER BY 1`)).map((r) => [
      String(r.m),
      Number(r.n),
    ]),
  )
}
