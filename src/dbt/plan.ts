/**
 * `dezc dbt init`: observe (read-only: the warehouse dezc loaded, the zone lookup) and the pure
 * decision of which files to write from it. The service writes exactly these files.
 */
import type {GeneratedFile} from '../core/managed-files.js'
import type {Ui} from '../core/ui.js'
import {sourceUrl, ZONES_PERIOD} from '../ingest/datasets.js'
import {
  parseZonesCsv,
  placeholderZones,
  renderProject,
  type Connection,
  type ProjectInput,
  type SeedOrigin,
  type StagingModel,
  type ZoneRow,
} from './project.js'
import type {DbtSettings, ProjectMeta} from './settings.js'
import type {Warehouse} from './warehouse.js'

export interface InitObserved {
  warehouse: Warehouse
  connection: Connection
  zones: {rows: ZoneRow[]; origin: SeedOrigin; from: string}
}

/** How long the zone file may take before the seed falls back to the placeholder. */
const ZONES_TIMEOUT_MS = 10_000

/** Read what was loaded, and where dbt will find it. The stack's Postgres must run (never a guessed port). */
export async function observeInit(
  settings: DbtSettings,
  o: {zonesBaseUrl: string; ui: Ui; signal?: AbortSignal},
): Promise<InitObserved> {
  let warehouse: Warehouse
  let connection: Connection
  if (settings.target === 'postgres') {
    const [{stackDatabase}, {redactUrl}, {readPostgres}] = await Promise.all([
      import('../env/database.js'),
      import('../env/settings.js'),
      import('./warehouse.js'),
    ])
    const db = await stackDatabase(settings.stack)
    warehouse = await readPostgres(db.url, redactUrl(db.url), o.signal)
    connection = {
      target: 'postgres',
      host: db.host,
      port: db.port,
      user: settings.stack.postgres.user,
      dbname: settings.stack.postgres.db,
    }
  } else if (settings.target === 'bigquery') {
    const {readBigQuery} = await import('./warehouse-bigquery.js')
    ;({warehouse, connection} = await readBigQuery({
      config: settings.bigquery!.config,
      env: process.env,
      ui: o.ui,
      signal: o.signal,
    }))
  } else {
    const {readDuckdb} = await import('./warehouse.js')
    warehouse = await readDuckdb(settings.duckdbFile!)
    connection = {target: 'duckdb', path: settings.duckdbFile!}
  }
  for (const s of warehouse.skipped) o.ui.reporter.warn(`Not in the project: ${s}.`)
  return {warehouse, connection, zones: await observeZones(warehouse, o)}
}

/** The zone lookup: the loaded zones table, else the zones file dezc ingests, else a placeholder (said so). */
async function observeZones(
  w: Warehouse,
  o: {zonesBaseUrl: string; ui: Ui; signal?: AbortSignal},
): Promise<InitObserved['zones']> {
  if (w.zones && w.zones.length > 0) return {rows: w.zones, origin: 'warehouse', from: 'zones table'}
  const url = sourceUrl('zones', ZONES_PERIOD, o.zonesBaseUrl)
  let why: string
  try {
    const {fetchText} = await import('../core/download.js')
    const signal = AbortSignal.any([AbortSignal.timeout(ZONES_TIMEOUT_MS), ...(o.signal ? [o.signal] : [])])
    const text = await fetchText(url, signal)
    const rows = text === undefined ? [] : parseZonesCsv(text)
    if (rows.length > 0) return {rows, origin: 'download', from: url}
    why = text === undefined ? 'not found' : 'not a zone lookup CSV'
  } catch (error) {
    if (o.signal?.aborted) throw error
    why = (error as Error).message.split('\n')[0]
  }
  o.ui.reporter.warn(
    `The zone seed is a placeholder (ids 1-265, no names): ${url}: ${why}. Run \`dezc ingest zones\`, then \`dezc dbt init --force\`.`,
  )
  return {rows: placeholderZones(), origin: 'placeholder', from: `${url}: ${why}`}
}

export interface InitPlan {
  files: GeneratedFile[]
  models: StagingModel[]
  meta: ProjectMeta
}

/** Pure: the files for these settings and this warehouse. */
export function planInit(settings: DbtSettings, observed: InitObserved): InitPlan {
  const stackArgs = [
    settings.stack.profile === 'local' ? '' : ` --host ${settings.stack.profile}`,
    settings.stack.name ? ` --stack ${settings.stack.name}` : '',
  ].join('')
  const input: ProjectInput = {...observed, dbtUtils: settings.dbtUtils, stackArgs}
  const {files, models} = renderProject(input)
  const meta: ProjectMeta =
    settings.target === 'postgres'
      ? {target: 'postgres', stack: settings.stack.name ?? null, host: settings.stack.profile}
      : settings.target === 'bigquery'
        ? {target: 'bigquery'}
        : {target: 'duckdb', duckdbFile: settings.duckdbFile}
  return {files, models, meta}
}
