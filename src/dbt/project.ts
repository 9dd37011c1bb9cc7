/**
 * The files of the dbt project `dezc dbt init` writes, rendered from what the warehouse really
 * holds (src/dbt/warehouse.ts) and where dbt will reach it. Pure: no I/O.
 */
import YAML from 'yaml'
import type {GeneratedFile} from '../core/managed-files.js'
import {redactSecrets} from '../core/urls.js'
import {DATASETS, type DatasetName} from '../ingest/datasets.js'
import {LEDGER_TABLE} from '../ingest/loader.js'
import {describeColumn, stagingName, stagingType} from './columns.js'
import {DBT_UTILS_VERSION, DBT_VERSION_RANGE, PROJECT_NAME, type DbtTarget} from './settings.js'
import type {LoadedTable, Warehouse} from './warehouse.js'

/** The environment variables the generated profiles.yml reads (dezc dbt sets them on every run). */
export const PROFILE_ENV = {
  host: 'DEZC_DBT_PG_HOST',
  port: 'DEZC_DBT_PG_PORT',
  user: 'DEZC_DBT_PG_USER',
  dbname: 'DEZC_DBT_PG_DBNAME',
  /** dbt scrubs the values of DBT_ENV_SECRET_* variables from its logs and output. */
  password: 'DBT_ENV_SECRET_DEZC_PG_PASSWORD',
  duckdbPath: 'DEZC_DBT_DUCKDB_PATH',
  /** The service-account key of the bigquery target (default: the key dezc gcp bootstrap wrote). */
  bqKeyfile: 'DEZC_DBT_BQ_KEYFILE',
} as const

/** Where dbt connects: the Postgres as seen from where dbt runs (no password here), or the DuckDB file. */
export type Connection =
  | {target: 'postgres'; host: string; port: number; user: string; dbname: string}
  | {target: 'duckdb'; path: string}
  | {
      target: 'bigquery'
      project: string
      dataset: string
      location: string
      keyfile: string
      /** The BigQuery endpoint dezc itself used when it is not Google's (bq.apiRoot, DEZC_BQ_API_ROOT). */
      apiEndpoint?: string
    }

/** Where a connection points, in one line (no secret: a key file's path only). */
export function connectionWhere(c: Connection): string {
  if (c.target === 'postgres') return `${c.user}@${c.host}:${c.port}/${c.dbname}`
  if (c.target === 'duckdb') return c.path
  const at = c.apiEndpoint ? ` at ${redactSecrets(c.apiEndpoint)}` : ''
  return `${c.project}:${c.dataset} (${c.location})${at}, key ${c.keyfile}`
}

export type ZoneRow = {LocationID: number; Borough: string; Zone: string; service_zone: string}

/** Where the zone seed came from: the loaded zones table, the zones file dezc ingests, or a stand-in. */
export type SeedOrigin = 'warehouse' | 'download' | 'placeholder'

export interface ProjectInput {
  warehouse: Warehouse
  connection: Connection
  zones: {rows: ZoneRow[]; origin: SeedOrigin; from: string}
  dbtUtils: boolean
  /** The stack flags that reproduce the connection (for the README), e.g. `--stack s1`. */
  stackArgs: string
}

export interface StagingModel {
  name: string
  table: string
  dataset: DatasetName
  source: string
  columns: string[]
}

export const SOURCE_NAME = 'raw'
export const SEED_NAME = 'taxi_zone_lookup'
export const SCHEMA = 'dev'

const HEADER = (what: string) =>
  [
    `# Written by \`dezc dbt init\`: ${what}`,
    '# Edit freely: once you change this file, dezc dbt init leaves it alone (unless --force, which keeps a .bak).',
  ].join('\n')
const SQL_HEADER = (what: string) =>
  [
    `-- Written by \`dezc dbt init\`: ${what}`,
    '-- Edit freely: once you change this file, dezc dbt init leaves it alone (unless --force, which keeps a .bak).',
  ].join('\n')

const quote = (s: string) => JSON.stringify(s)
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`

/** One dbt source per schema: `raw` for the default schema, `raw_<schema>` for others. */
export function sourceFor(w: Warehouse, schema: string): string {
  return schema === w.defaultSchema ? SOURCE_NAME : `${SOURCE_NAME}_${schema.replace(/[^a-zA-Z0-9_]/g, '_')}`
}

export function stagingModels(w: Warehouse): StagingModel[] {
  const perDataset = new Map<DatasetName, number>()
  for (const t of w.tables) perDataset.set(t.dataset, (perDataset.get(t.dataset) ?? 0) + 1)
  return w.tables.map((t) => {
    const unique = perDataset.get(t.dataset) === 1
    const base = t.dataset === 'zones' ? 'zones' : `${t.dataset}_tripdata`
    return {
      name: `stg_${unique ? base : t.name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
      table: t.name,
      dataset: t.dataset,
      source: sourceFor(w, t.schema),
      columns: canonicalPresent(t).map(([, c]) => stagingName(c.name)),
    }
  })
}

/** The canonical columns of the dataset that the table has, with the table's own spelling. */
function canonicalPresent(t: LoadedTable) {
  const byLower = new Map(t.columns.map((c) => [c.name.toLowerCase(), c.name]))
  return DATASETS[t.dataset].columns
    .filter((c) => byLower.has(c.name.toLowerCase()))
    .map((c) => [byLower.get(c.name.toLowerCase())!, c] as const)
}

function stagingSql(t: LoadedTable, m: StagingModel, kind: Warehouse['kind']): string {
  const spec = DATASETS[t.dataset]
  // BigQuery quotes identifiers with backticks ("x" is a string literal there).
  const q = kind === 'bigquery' ? (s: string) => `\`${s}\`` : ident
  const cols = canonicalPresent(t).map(
    ([actual, c]) => `cast(${q(actual)} as ${stagingType(c)}) as ${stagingName(c.name)}`,
  )
  if (cols.some((c) => c.endsWith(' as payment_type')))
    cols.push(
      `{{ payment_type_description('${q('payment_type').replaceAll("'", "\\'")}') }} as payment_type_description`,
    )
  if (t.columns.some((c) => c.name === 'dezc_load_id')) cols.push('dezc_load_id')
  const periods = t.periods.length > 3 ? `${t.periods[0]}..${t.periods.at(-1)}` : t.periods.join(', ')
  return [
    SQL_HEADER(`${spec.description.split(',')[0]} as dezc ingest loaded them into ${t.table} (${periods}).`),
    '-- The canonical columns, snake_case names, cross-database types.',
    '',
    `with source as (select * from {{ source('${m.source}', '${t.name}') }})`,
    '',
    'select',
    cols.map((c) => `    ${c}`).join(',\n'),
    'from source',
    '',
  ].join('\n')
}

/** The ledger the loads were recorded in: dezc ingest's (Postgres, DuckDB) or dezc bq's (BigQuery). */
function ledgerOf(w: Warehouse) {
  if (w.kind === 'bigquery')
    return {
      table: 'dezc_bq_ledger',
      rows: 'row_count',
      loadedAt: 'loaded_at',
      active: 'true',
      quote: (s: string) => `\`${s}\``,
      description: 'dezc bq: one row per (table, month) loaded; the months in the tables.',
    }
  return {
    table: LEDGER_TABLE,
    rows: 'rows',
    loadedAt: 'finished_at',
    active: 'active',
    quote: ident,
    description: 'dezc ingest: one row per (table, dataset, month) load; active rows are the ones in the tables.',
  }
}

function sourcesYml(w: Warehouse): string {
  const schemas = [...new Set([w.defaultSchema, ...w.tables.map((t) => t.schema)])]
  const l = ledgerOf(w)
  const ledger = `${l.quote(w.defaultSchema)}.${l.quote(l.table)}`
  const sources = schemas.map((schema) => {
    const tables: Array<Record<string, unknown>> = w.tables
      .filter((t) => t.schema === schema)
      .map((t) => ({
        name: t.name,
        description: `${DATASETS[t.dataset].description}; loaded by dezc ingest: ${t.periods.join(', ')} (${t.rows} rows).`,
        config: {
          freshness: {warn_after: {count: 35, period: 'day'}},
          loaded_at_query: `select max(${l.loadedAt}) from ${ledger} where ${l.active} and table_name = ${sqlString(t.table)}`,
        },
        columns: t.columns.map((c) => {
          const d = describeColumn(c.name)
          return {name: c.name, data_type: c.type, ...(d ? {description: d} : {})}
        }),
      }))
    if (schema === w.defaultSchema) tables.push({name: l.table, description: l.description, config: {freshness: null}})
    return {
      name: sourceFor(w, schema),
      description: `Tables dezc ingest loaded (${w.kind}, schema ${schema}).`,
      schema,
      tables,
    }
  })
  return [
    HEADER('the tables dezc ingest loaded, read from dezc_ingest_ledger and information_schema.'),
    '# Freshness is the time of the last load, from the ledger: `dbt source freshness`.',
    YAML.stringify({version: 2, sources}, {lineWidth: 0}),
  ].join('\n')
}

function profilesYml(c: Connection): string {
  const env = (name: string, fallback?: string) =>
    fallback === undefined
      ? `{{ env_var('${name}') }}`
      : `{{ env_var('${name}', '${fallback.replaceAll("'", "\\'")}') }}`
  const output =
    c.target === 'bigquery'
      ? [
          '      type: bigquery',
          '      method: service-account',
          `      keyfile: ${quote(env(PROFILE_ENV.bqKeyfile, c.keyfile))}`,
          `      project: ${quote(c.project)}`,
          `      dataset: ${quote(c.dataset)}`,
          `      location: ${quote(c.location)}`,
          '      threads: 4',
          '      priority: interactive',
          '      job_execution_timeout_seconds: 300',
          '      job_retries: 1',
          // The same endpoint dezc bq talks to: dbt must not read or write somewhere else.
          ...(c.apiEndpoint ? [`      api_endpoint: ${quote(c.apiEndpoint)}`] : []),
        ]
      : c.target === 'postgres'
        ? [
            '      type: postgres',
            `      host: ${quote(env(PROFILE_ENV.host, c.host))}`,
            `      port: ${quote(`{{ env_var('${PROFILE_ENV.port}', '${c.port}') | as_number }}`)}`,
            `      user: ${quote(env(PROFILE_ENV.user, c.user))}`,
            `      password: ${quote(env(PROFILE_ENV.password))}`,
            `      dbname: ${quote(env(PROFILE_ENV.dbname, c.dbname))}`,
            `      schema: ${SCHEMA}`,
            '      threads: 1',
          ]
        : [
            '      type: duckdb',
            `      path: ${quote(env(PROFILE_ENV.duckdbPath, c.path))}`,
            `      schema: ${SCHEMA}`,
            '      threads: 1',
            '      settings:',
            "        memory_limit: '2GB'",
            '        preserve_insertion_order: false',
          ]
  const how =
    c.target === 'bigquery'
      ? [
          `# BigQuery: the dataset dezc bq / dezc ingest --to bigquery loaded (${c.project}:${c.dataset}, ${c.location}),`,
          `# reached with the service-account key of dezc gcp bootstrap (${c.keyfile}; ${PROFILE_ENV.bqKeyfile} overrides it).`,
        ]
      : c.target === 'postgres'
        ? [
            `# Postgres of the env stack as seen from this machine (${c.host}:${c.port}). The password is never`,
            `# stored here: \`dezc dbt ...\` passes it (and the current host/port) in the environment; to run`,
            `# dbt yourself, export ${PROFILE_ENV.password} (see README.md).`,
          ]
        : [`# The DuckDB database file dezc ingest loaded (${c.path}).`]
  return [
    '# Written by `dezc dbt init` (dbt reads it because dezc passes --profiles-dir; or set DBT_PROFILES_DIR).',
    ...how,
    `${PROJECT_NAME}:`,
    '  target: dev',
    '  outputs:',
    '    dev:',
    ...output,
    '',
  ].join('\n')
}

function dbtProjectYml(): string {
  return [
    HEADER("the course's week-4 project layout."),
    `name: ${PROJECT_NAME}`,
    "version: '1.0.0'",
    `profile: ${PROJECT_NAME}`,
    `require-dbt-version: [">=${DBT_VERSION_RANGE.min}", "<${DBT_VERSION_RANGE.below}"]`,
    '',
    'model-paths: ["models"]',
    'analysis-paths: ["analyses"]',
    'test-paths: ["tests"]',
    'seed-paths: ["seeds"]',
    'macro-paths: ["macros"]',
    'snapshot-paths: ["snapshots"]',
    'clean-targets: ["target", "dbt_packages"]',
    '',
    'models:',
    `  ${PROJECT_NAME}:`,
    '    staging:',
    '      +materialized: view',
    '    core:',
    '      +materialized: table',
    '',
    'seeds:',
    `  ${PROJECT_NAME}:`,
    `    ${SEED_NAME}:`,
    '      +column_types:',
    '        location_id: integer',
    '',
  ].join('\n')
}

function csvField(v: string | number): string {
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

function seedCsv(rows: ZoneRow[]): string {
  const lines = ['location_id,borough,zone,service_zone']
  for (const r of rows) lines.push([r.LocationID, r.Borough, r.Zone, r.service_zone].map(csvField).join(','))
  return lines.join('\n') + '\n'
}

const PAYMENT_MACRO = `{#- Written by \`dezc dbt init\`. Edit freely: once changed, dezc dbt init leaves this file alone. -#}
{#- The TLC payment_type codes as words (yellow and green trips). -#}
{% macro payment_type_description(payment_type) -%}
    case cast({{ payment_type }} as {{ dbt.type_int() }})
        when 1 then 'Credit card'
        when 2 then 'Cash'
        when 3 then 'No charge'
        when 4 then 'Dispute'
        when 5 then 'Unknown'
        when 6 then 'Voided trip'
        else 'Empty'
    end
{%- endmacro %}
`

function ledgerTest(t: LoadedTable, m: StagingModel, w: Warehouse): string {
  return [
    SQL_HEADER(`${m.name} has exactly the rows the ingest ledger says were loaded into ${t.table}.`),
    '-- A singular test: it fails when this query returns a row.',
    'with ledger as (',
    // n_rows, not rows: ROWS is a reserved word in BigQuery's SQL.
    `    select coalesce(sum(${ledgerOf(w).rows}), 0) as n_rows from {{ source('${SOURCE_NAME}', '${ledgerOf(w).table}') }}`,
    `    where ${ledgerOf(w).active} and table_name = ${sqlString(t.table)}`,
    '),',
    `staged as (select count(*) as n_rows from {{ ref('${m.name}') }})`,
    'select ledger.n_rows as ledger_rows, staged.n_rows as staged_rows',
    'from ledger cross join staged',
    'where ledger.n_rows <> staged.n_rows',
    '',
  ].join('\n')
}

function coreFiles(): GeneratedFile[] {
  return [
    {
      name: 'models/core/dim_zones.sql',
      content: [
        SQL_HEADER('the taxi zones, from the seed.'),
        'select',
        '    location_id,',
        '    borough,',
        '    zone,',
        "    replace(service_zone, 'Boro', 'Green') as service_zone",
        `from {{ ref('${SEED_NAME}') }}`,
        '',
      ].join('\n'),
    },
    {
      name: 'models/core/schema.yml',
      content: [
        HEADER('the core models and their tests.'),
        YAML.stringify(
          {
            version: 2,
            models: [
              {
                name: 'dim_zones',
                description: 'One row per TLC taxi zone.',
                columns: [
                  {name: 'location_id', description: describeColumn('locationid'), data_tests: ['unique', 'not_null']},
                  {name: 'borough', description: describeColumn('borough')},
                  {name: 'zone', description: describeColumn('zone')},
                  {name: 'service_zone', description: 'Service zone (Boro Zone renamed Green Zone, as in the course)'},
                ],
              },
            ],
          },
          {lineWidth: 0},
        ),
      ].join('\n'),
    },
  ]
}

function readme(input: ProjectInput, models: StagingModel[]): string {
  const c = input.connection
  const seed =
    input.zones.origin === 'warehouse'
      ? `from the \`zones\` table dezc ingest loaded (${input.zones.rows.length} rows)`
      : input.zones.origin === 'download'
        ? `downloaded from ${input.zones.from} (${input.zones.rows.length} rows)`
        : `a PLACEHOLDER (ids 1-265, no real names): the zone file could not be read (${input.zones.from}). Run \`dezc ingest zones\`, then \`dezc dbt init --force\``
  const run = (cmd: string) => `dezc dbt ${cmd}${input.stackArgs}`
  return [
    `# ${PROJECT_NAME}: the course's week-4 dbt project, generated by dezc`,
    '',
    `Target: **${c.target}** — ${c.target === 'postgres' ? `the env stack's Postgres at ${c.host}:${c.port}, database \`${c.dbname}\`, user \`${c.user}\`` : c.target === 'duckdb' ? `the DuckDB file \`${c.path}\`` : `BigQuery, project \`${c.project}\`, sources in the dataset \`${c.dataset}\` (${c.location}), key \`${c.keyfile}\``}; models go to the ${c.target === 'bigquery' ? 'dataset' : 'schema'} \`${c.target === 'bigquery' ? c.dataset : SCHEMA}\`.`,
    '',
    '## Next',
    '',
    '```sh',
    ...(input.dbtUtils ? [run('deps') + '    # dbt_utils (needs hub.getdbt.com)'] : []),
    run('seed') + '    # the zone lookup',
    run('run') + '     # the staging and core models',
    run('test') + '    # the tests, including "staging rows = rows the ingest ledger recorded"',
    run('build') + '   # all of it, in order',
    '```',
    '',
    '`dezc dbt <command> [-- dbt args]` runs dbt with this folder as project and profiles dir, and the',
    "connection (with the password) in the environment; output and exit code are dbt's.",
    c.target === 'postgres'
      ? `To run dbt yourself: \`export ${PROFILE_ENV.password}=...\` (the password shown by \`dezc env credentials${input.stackArgs}\`), then \`dbt build --profiles-dir .\`.`
      : 'To run dbt yourself: `dbt build --profiles-dir .`.',
    '',
    '## What is here',
    '',
    '- `models/staging/sources.yml`: the tables dezc ingest loaded, with their columns and types, read from the',
    '  warehouse (`dezc_ingest_ledger` + `information_schema`), and freshness from the last load.',
    ...models.map(
      (m) => `- \`models/staging/${m.name}.sql\`: \`${m.table}\` (${m.dataset}) with typed, snake_case columns.`,
    ),
    '- `models/core/dim_zones.sql`: the zones, from the seed.',
    `- \`seeds/${SEED_NAME}.csv\`: ${seed}.`,
    '- `macros/payment_type_description.sql`, `tests/` (row counts against the ledger), `analyses/`, `snapshots/`.',
    input.dbtUtils
      ? `- \`packages.yml\`: dbt_utils ${DBT_UTILS_VERSION} (the course's pin); \`dezc dbt\` runs \`dbt deps\` when dbt_packages/ lacks it.`
      : '- `packages.yml`: no packages (init ran with --no-dbt-utils).',
    '',
    'Re-running `dezc dbt init` refreshes the generated files from the warehouse but keeps every file you edited',
    '(`--force` overwrites them, keeping a `.bak`).',
    '',
  ].join('\n')
}

export function renderProject(input: ProjectInput): {files: GeneratedFile[]; models: StagingModel[]} {
  const w = input.warehouse
  const models = stagingModels(w)
  const files: GeneratedFile[] = [
    {name: 'dbt_project.yml', content: dbtProjectYml()},
    {name: 'profiles.yml', content: profilesYml(input.connection), mode: 0o600},
    {
      name: 'packages.yml',
      content: input.dbtUtils
        ? `${HEADER('dbt_utils as the course pins it; dezc dbt runs `dbt deps` when it is missing.')}\npackages:\n  - package: dbt-labs/dbt_utils\n    version: ${DBT_UTILS_VERSION}\n`
        : `${HEADER('no packages (--no-dbt-utils). The course adds:')}\n#  - package: dbt-labs/dbt_utils\n#    version: ${DBT_UTILS_VERSION}\npackages: []\n`,
    },
    {name: 'models/staging/sources.yml', content: sourcesYml(w)},
    ...w.tables.map((t, i) => ({
      name: `models/staging/${models[i].name}.sql`,
      content: stagingSql(t, models[i], w.kind),
    })),
    ...coreFiles(),
    {name: `seeds/${SEED_NAME}.csv`, content: seedCsv(input.zones.rows)},
    {name: 'macros/payment_type_description.sql', content: PAYMENT_MACRO},
    ...w.tables.map((t, i) => ({
      name: `tests/assert_${models[i].name}_matches_ledger.sql`,
      content: ledgerTest(t, models[i], w),
    })),
    {name: 'analyses/.gitkeep', content: ''},
    {name: 'snapshots/.gitkeep', content: ''},
    {name: '.gitignore', content: '# Written by dezc dbt init\ntarget/\ndbt_packages/\nlogs/\n.venv/\n.user.yml\n'},
    {name: 'README.md', content: readme(input, models)},
  ]
  return {files, models}
}

/** The placeholder zone lookup when the real one cannot be read: ids only, clearly not real names. */
export function placeholderZones(): ZoneRow[] {
  return Array.from({length: 265}, (_, i) => ({
    LocationID: i + 1,
    Borough: 'Unknown',
    Zone: `Zone ${i + 1} (placeholder)`,
    service_zone: 'N/A',
  }))
}

/** The TLC zone CSV (quoted fields, header LocationID,Borough,Zone,service_zone) as rows. */
export function parseZonesCsv(text: string): ZoneRow[] {
  const rows: string[][] = []
  let field = ''
  let row: string[] = []
  let quoted = false
  const endField = () => {
    row.push(field)
    field = ''
  }
  const endRow = () => {
    endField()
    rows.push(row)
    row = []
  }
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch !== '"') field += ch
      else if (text[i + 1] === '"') field += text[++i]
      else quoted = false
    } else if (ch === '"') quoted = true
    else if (ch === ',') endField()
    else if (ch === '\n') endRow()
    else if (ch !== '\r') field += ch
  }
  if (field !== '' || row.length > 0) endRow()
  const [header, ...body] = rows.filter((r) => r.length > 1 || r[0] !== '')
  const at = (n: string) => header?.findIndex((h) => h.trim().toLowerCase() === n.toLowerCase()) ?? -1
  const [id, b, z, s] = ['LocationID', 'Borough', 'Zone', 'service_zone'].map(at)
  if ([id, b, z, s].some((i) => i < 0)) return []
  return body
    .filter((r) => /^\d+$/.test(r[id]?.trim() ?? ''))
    .map((r) => ({LocationID: Number(r[id]), Borough: r[b] ?? '', Zone: r[z] ?? '', service_zone: r[s] ?? ''}))
}

export type {DbtTarget}
