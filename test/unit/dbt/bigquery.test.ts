/**
 * The dbt bigquery target as files (the real dbt-bigquery runs them against the BigQuery stand-in
 * in test/integration/ingest/bigquery.test.ts): the generated profiles.yml is read back as YAML and
 * checked against what dbt-bigquery's service-account method needs; the SQL quotes identifiers the BigQuery way; dezc dbt install pins dbt-bigquery 1.10.
 */
import {describe, expect, it} from 'vitest'
import YAML from 'yaml'
import {pinnedPackages} from '../../../src/dbt/install.js'
import {placeholderZones, renderProject} from '../../../src/dbt/project.js'
import {DBT_PINS} from '../../../src/dbt/settings.js'
import {DATASETS} from '../../../src/ingest/datasets.js'

const connection = {
  target: 'bigquery' as const,
  project: 'my-zoomcamp-123456',
  dataset: 'trips_data_all',
  location: 'EU',
  keyfile: '/home/me/.gc/dezc-sa.json',
}
const warehouse = {
  kind: 'bigquery' as const,
  where: 'my-zoomcamp-123456:trips_data_all',
  defaultSchema: 'trips_data_all',
  skipped: [],
  tables: [
    {
      table: 'yellow_tripdata',
      schema: 'trips_data_all',
      name: 'yellow_tripdata',
      dataset: 'yellow' as const,
      periods: ['2021-01', '2021-02'],
      rows: 21_000,
      columns: DATASETS.yellow.columns.map((c) => ({name: c.name, type: c.kind === 'text' ? 'string' : 'int64'})),
    },
  ],
}
const project = renderProject({
  warehouse,
  connection,
  zones: {rows: placeholderZones(), origin: 'placeholder', from: 'test'},
  dbtUtils: true,
  stackArgs: '',
})
const file = (name: string) => project.files.find((f) => f.name === name)!

describe('dbt --target bigquery', () => {
  it('profiles.yml: service-account key of dezc gcp bootstrap, project, dataset and location from dezc bq/tf, mode 0600', () => {
    const p = file('profiles.yml')
    expect(p.mode).toBe(0o600)
    const y = YAML.parse(p.content)
    const dev = y.dezc_taxi?.outputs?.dev ?? (Object.values(y)[0] as any).outputs.dev
    expect(dev).toMatchObject({
      type: 'bigquery',
      method: 'service-account',
      project: 'my-zoomcamp-123456',
      dataset: 'trips_data_all',
      location: 'EU',
    })
    expect(dev.keyfile).toBe("{{ env_var('DEZC_DBT_BQ_KEYFILE', '/home/me/.gc/dezc-sa.json') }}")
    expect(Number.isInteger(dev.threads)).toBe(true)
    // Only the path of the key, never its content.
    expect(p.content).not.toMatch(/private_key|BEGIN/)
  })

  it('profiles.yml names the BigQuery endpoint dezc used only when it is not Google’s (api_endpoint)', () => {
    const dev = (c: Record<string, unknown>) =>
      (Object.values(YAML.parse(renderOne(c).content))[0] as any).outputs.dev as Record<string, unknown>
    const renderOne = (c: Record<string, unknown>) =>
      renderProject({
        warehouse,
        connection: {...connection, ...c},
        zones: {rows: placeholderZones(), origin: 'placeholder', from: 'test'},
        dbtUtils: false,
        stackArgs: '',
      }).files.find((f) => f.name === 'profiles.yml')!
    expect(dev({})).not.toHaveProperty('api_endpoint')
    expect(dev({apiEndpoint: 'http://127.0.0.1:9050'}).api_endpoint).toBe('http://127.0.0.1:9050')
  })

  it('sources and tests read bq’s ledger (dezc_bq_ledger, row_count); staging SQL quotes with backticks', () => {
    const sources = YAML.parse(file('models/staging/sources.yml').content.replace(/^#.*$/gm, ''))
    const raw = sources.sources[0]
    expect(raw.schema).toBe('trips_data_all')
    expect(raw.tables.map((t: any) => t.name)).toEqual(['yellow_tripdata', 'dezc_bq_ledger'])
    expect(raw.tables[0].config.loaded_at_query).toContain('max(loaded_at) from `trips_data_all`.`dezc_bq_ledger`')
    const staging = project.files.find((f) => f.name.startsWith('models/staging/stg_'))!.content
    expect(staging).toContain('cast(`VendorID` as')
    expect(staging).not.toContain('"VendorID"')
    const test = project.files.find((f) => f.name.startsWith('tests/'))!.content
    expect(test).toContain('sum(row_count)')
    expect(test).toContain("source('raw', 'dezc_bq_ledger')")
    // ROWS is reserved in BigQuery: no column may be aliased `rows`.
    expect(test).not.toMatch(/\bas rows\b|\.rows\b/)
  })

  it('dezc dbt install adds dbt-bigquery 1.10.x for this target', () => {
    expect(DBT_PINS.bigquery).toMatch(/^1\.10\.\d+$/)
    expect(pinnedPackages('bigquery')).toEqual([`dbt-core==${DBT_PINS.core}`, `dbt-bigquery==${DBT_PINS.bigquery}`])
  })
})
