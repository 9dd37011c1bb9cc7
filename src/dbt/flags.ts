/** The oclif flags of `dezc dbt` (values go to settings.ts). */
import {Flags} from '@oclif/core'
import {dryRunFlag} from '../core/flags.js'
import {stackFlags} from '../env/flags.js'
import {DBT_TARGETS} from './settings.js'

/** Every dbt command: which project, which dbt, which stack. */
export const projectFlags = {
  ...stackFlags,
  dir: Flags.string({description: 'The dbt project folder (default: the current folder).', env: 'DEZC_DBT_DIR'}),
  dbt: Flags.string({
    description: "The dbt executable (default: the project's .venv/bin/dbt, else dbt on PATH).",
    env: 'DEZC_DBT',
  }),
}

const targetFlags = {
  target: Flags.string({
    description:
      "Where dbt runs: postgres (the env stack's Postgres) or duckdb (a DuckDB file). Default: what init chose, else postgres.",
    options: [...DBT_TARGETS],
  }),
  'duckdb-file': Flags.string({description: 'The DuckDB database file of the duckdb target (default taxi.duckdb).'}),
}

export const initFlags = {
  ...projectFlags,
  ...targetFlags,
  ...dryRunFlag,
  force: Flags.boolean({description: 'Overwrite files you edited (each is first copied to <name>.bak).'}),
  'no-dbt-utils': Flags.boolean({
    description:
      'Write packages.yml without dbt_utils (dbt deps needs hub.getdbt.com; the generated models do not use it).',
  }),
}

/** dbt's pass-through commands: no --target here (that is dbt's own flag, the profile's output); the target is init's. */
export const runFlags = {...projectFlags}

export const doctorFlags = {...projectFlags, ...targetFlags}

export const installFlags = {
  ...projectFlags,
  ...targetFlags,
  ...dryRunFlag,
  uv: Flags.string({description: 'The uv executable (default: uv on PATH).', env: 'DEZC_UV'}),
  python: Flags.string({description: "The Python for the project's .venv (default: uv's choice)."}),
  force: Flags.boolean({description: "Install into the project's .venv even when a suitable dbt is found elsewhere."}),
}
