/**
 * The BigQuery warehouse of the dbt bigquery target: what `dezc bq load` / `dezc ingest --to
 * bigquery` loaded, read (never written) from bq's ledger dezc_bq_ledger (which months went into
 * which table); the columns are the canonical ones those loads write. Plus where dbt connects:
 * project, dataset and its location, and the key of `dezc gcp bootstrap`.
 */
import path from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import {DezcError, ExitCode} from '../core/errors.js'
import type {Ui} from '../core/ui.js'
import {DATASETS, isDatasetName} from '../ingest/datasets.js'
import type {Connection} from './project.js'
import type {LoadedTable, Warehouse} from './warehouse.js'

/** The key dbt uses: GOOGLE_APPLICATION_CREDENTIALS, else the one dezc gcp bootstrap writes (<keyDir>/<account>.json). */
export async function bootstrapKeyfile(config: LoadedConfig, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return path.resolve(env.GOOGLE_APPLICATION_CREDENTIALS)
  const [{DEFAULT_KEY_DIR, DEFAULT_SA_NAME}, {expandHome}] = await Promise.all([
    import('../gcp/defaults.js'),
    import('../config/paths.js'),
  ])
  const gcp = (config.raw('gcp') as {keyDir?: string; serviceAccount?: string} | undefined) ?? {}
  return path.join(
    path.resolve(expandHome(gcp.keyDir ?? DEFAULT_KEY_DIR, env)),
    `${gcp.serviceAccount ?? DEFAULT_SA_NAME}.json`,
  )
}

export async function readBigQuery(o: {
  config: LoadedConfig
  env: NodeJS.ProcessEnv
  ui: Ui
  signal?: AbortSignal
}): Promise<{warehouse: Warehouse; connection: Connection}> {
  const [{resolveBqSettings}, bq, {tableInfo, runQuery}, {LEDGER_TABLE, tableRef, tableNames, bqType}] =
    await Promise.all([
      import('../bq/settings.js'),
      import('../bq/service.js'),
      import('../bq/client.js'),
      import('../bq/plan.js'),
    ])
  const s = await resolveBqSettings({
    flags: {},
    config: o.config,
    prompter: o.ui.prompter,
    needBucket: false,
    env: o.env,
  })
  const signal = o.signal ?? new AbortController().signal
  const session = await bq.preflight({settings: s, ui: o.ui, signal, env: o.env})
  const where = `${s.project}:${s.bqDataset}`
  const noData = (why: string) =>
    new DezcError({
      code: 'DBT_NO_DATA',
      message: `The BigQuery dataset ${where} ${why}: dezc dbt init generates the sources and staging models from what dezc loaded.`,
      suggestion: [
        'Load data first: `dezc ingest yellow 2021-01 --to bigquery` (or dezc lake upload + dezc bq load), then re-run dezc dbt init.',
      ],
      exit: ExitCode.PREREQUISITE,
    })
  if (!(await tableInfo(session.client, s.bqDataset, LEDGER_TABLE))) throw noData(`has no ${LEDGER_TABLE}`)
  const r = await runQuery(session.client, {
    sql: `SELECT table_name, month, row_count FROM ${tableRef(s.project, s.bqDataset, LEDGER_TABLE)} ORDER BY table_name, month`,
    location: session.location,
    maxRows: 100_000,
    signal,
    ctx: session.ctx(`reading ${LEDGER_TABLE}`),
  })
  const byTable = new Map<string, {periods: string[]; rows: number}>()
  for (const x of r.rows ?? []) {
    const t = byTable.get(String(x.table_name)) ?? {periods: [], rows: 0}
    t.periods.push(String(x.month))
    t.rows += Number(x.row_count ?? 0)
    byTable.set(String(x.table_name), t)
  }
  const tables: LoadedTable[] = []
  const skipped: string[] = []
  for (const [name, t] of byTable) {
    const dataset = name.replace(/_tripdata$/, '')
    if (!isDatasetName(dataset) || tableNames(dataset).native !== name) {
      skipped.push(`${name}: not a table dezc bq names`)
      continue
    }
    tables.push({
      table: name,
      schema: s.bqDataset,
      name,
      dataset,
      periods: t.periods,
      rows: t.rows,
      columns: DATASETS[dataset].columns.map((c) => ({name: c.name, type: bqType(c.kind).toLowerCase()})),
    })
  }
  if (tables.length === 0) throw noData(`has an empty ${LEDGER_TABLE}`)
  return {
    warehouse: {kind: 'bigquery', where, defaultSchema: s.bqDataset, tables, skipped},
    connection: {
      target: 'bigquery',
      project: s.project,
      dataset: s.bqDataset,
      location: session.location,
      keyfile: await bootstrapKeyfile(o.config, o.env),
      ...(s.apiRoot ? {apiEndpoint: s.apiRoot} : {}),
    },
  }
}
