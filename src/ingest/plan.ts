/**
 * `dezc ingest --dry-run`: which periods would be loaded, replaced or skipped (from the ledger,
 * when the database answers), and the manual commands that do roughly the same — curl, DuckDB
 * for parquet, psql \copy. Nothing is downloaded and nothing is written.
 */
import path from 'node:path'
import type {Ui} from '../core/ui.js'
import {relation} from './reader.js'
import {prepareIngest, type IngestOptions} from './service.js'
import {openTarget, targetWhere} from './targets/target.js'

export interface IngestPlanStep {
  period: string
  action: 'load' | 'replace' | 'skip' | 'load or skip'
  source: string
  /** For skips: the rows already loaded. */
  rows?: number
  /** For skips and replacements: the load that holds the period now. */
  loadId?: number
}

export interface IngestDryRun {
  dryRun: true
  target: string
  table: string
  /** False when the database could not be asked; then skips are unknown. */
  ledgerRead: boolean
  steps: IngestPlanStep[]
  commands: string[]
}

const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`)

export async function planIngest(
  o: Pick<
    IngestOptions,
    | 'dataset'
    | 'periods'
    | 'file'
    | 'baseUrl'
    | 'source'
    | 'table'
    | 'dbUrl'
    | 'duckdbFile'
    | 'bigquery'
    | 'force'
    | 'signal'
  > & {ui: Ui},
): Promise<IngestDryRun> {
  const {spec, table, items, format} = prepareIngest(o)
  let done = new Map<string, {rows: number; loadId?: number}>()
  let ledgerRead = false
  try {
    const sink = await openTarget(o, o.signal, {readOnly: true})
    try {
      done = await sink.loadedPeriods(
        table,
        spec.name,
        items.map((i) => i.period),
      )
      ledgerRead = true
    } finally {
      await sink.close()
    }
  } catch (error) {
    o.ui.reporter.warn(
      `Could not read what is loaded already (${(error as Error).message.split('\n')[0]}); every period is shown as "load or skip".`,
    )
  }
  const target = await targetWhere(o)
  const steps: IngestPlanStep[] = items.map((it) => {
    const source = it.url ?? it.localPath!
    const prior = done.get(it.period)
    if (!ledgerRead) return {period: it.period, action: 'load or skip', source}
    if (prior && !o.force) return {period: it.period, action: 'skip', source, rows: prior.rows, loadId: prior.loadId}
    return prior
      ? {period: it.period, action: 'replace', source, loadId: prior.loadId}
      : {period: it.period, action: 'load', source}
  })
  const commands: string[] = []
  if (o.bigquery) {
    const [{objectName}, {bqLoadCommand, tableRef}] = await Promise.all([
      import('../lake/plan.js'),
      import('../bq/plan.js'),
    ])
    const s = o.bigquery.settings
    for (const [i, step] of steps.entries()) {
      if (step.action === 'skip') continue
      const it = items[i]
      const file = it.localPath ?? path.basename(new URL(it.url!).pathname)
      const uri = `gs://${s.lake!.bucket}/${objectName(spec.name, it.period)}`
      if (it.url) commands.push(`curl -fL --retry 5 -C - -o ${q(file)} ${q(it.url)}`)
      commands.push(
        `gcloud storage cp ${q(file)} ${uri}   # dezc first rewrites it to the canonical schema (dezc lake upload --dry-run shows the DuckDB command)`,
        `${bqLoadCommand({project: s.project, location: 'LOCATION', table: `${s.bqDataset}.${table}_staging`, uri})}   # dezc then replaces the month in ${tableRef(s.project, s.bqDataset, table)} in one transaction (dezc bq load --dry-run shows it)`,
      )
    }
    return {dryRun: true, target, table, ledgerRead, steps, commands}
  }
  if (o.duckdbFile) {
    for (const [i, step] of steps.entries()) {
      if (step.action === 'skip') continue
      const it = items[i]
      const file = it.localPath ?? path.basename(new URL(it.url!).pathname)
      if (it.url) commands.push(`curl -fL --retry 5 -C - -o ${q(file)} ${q(it.url)}`)
      const del = step.action === 'replace' ? `DELETE FROM ${table} WHERE dezc_load_id = ${step.loadId}; ` : ''
      const sql = `BEGIN; ${del}CREATE TABLE IF NOT EXISTS ${table} AS SELECT * FROM ${relation(file, format)} LIMIT 0; INSERT INTO ${table} BY NAME SELECT * FROM ${relation(file, format)}; COMMIT;`
      commands.push(
        `duckdb ${q(o.duckdbFile)} -c ${q(sql)}   # dezc also casts to the canonical columns and records the load in dezc_ingest_ledger`,
      )
    }
    return {dryRun: true, target, table, ledgerRead, steps, commands}
  }
  // psql asks for the password: it is never printed, not even masked.
  const u = new URL(o.dbUrl!)
  u.password = ''
  const psqlUrl = u.toString()
  for (const [i, step] of steps.entries()) {
    if (step.action === 'skip') continue
    const it = items[i]
    const file = it.localPath ?? path.basename(new URL(it.url!).pathname)
    if (it.url) commands.push(`curl -fL --retry 5 -C - -o ${q(file)} ${q(it.url)}`)
    let csv = file
    if (format === 'parquet') {
      csv = file.replace(/\.parquet$/, '') + '.csv'
      commands.push(`duckdb -c ${q(`COPY (SELECT * FROM '${file}') TO '${csv}' (HEADER)`)}`)
    }
    const gz = csv.endsWith('.gz')
    const from = gz ? `PROGRAM 'gzip -dc ${csv}'` : `'${csv}'`
    if (step.action === 'replace')
      commands.push(
        `psql ${q(psqlUrl)} -c ${q(`DELETE FROM ${table} WHERE dezc_load_id = ${step.loadId}`)}   # dezc deletes and loads in one transaction`,
      )
    commands.push(
      `psql ${q(psqlUrl)} -c ${q(`\\copy ${table} FROM ${from} CSV HEADER`)}   # the table must exist with matching columns; dezc creates it from the canonical schema`,
    )
  }
  return {dryRun: true, target, table, ledgerRead, steps, commands}
}
