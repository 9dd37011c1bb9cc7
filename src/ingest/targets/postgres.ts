/** The Postgres target: one client, the loader of loader.ts (binary COPY in one transaction per period). */
import {redactUrl} from '../../env/settings.js'
import {loadedPeriods, loadPeriod} from '../loader.js'
import {connectPg} from '../pg.js'
import type {IngestTarget} from './target.js'

export async function openPostgresTarget(dbUrl: string, signal: AbortSignal): Promise<IngestTarget> {
  const client = await connectPg(dbUrl, signal)
  return {
    where: redactUrl(dbUrl),
    streams: true,
    loadedPeriods: (table, dataset, periods) => loadedPeriods(client, table, dataset, periods),
    load: (o) => loadPeriod({...o, client}),
    close: () => client.end().catch(() => {}),
  }
}
