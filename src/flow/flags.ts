/** Flags of the `dezc flow` commands (command layer only: services never import this). */
import {Flags} from '@oclif/core'
import {dryRunFlag} from '../core/flags.js'

export const dirFlag = {
  dir: Flags.string({
    description: 'Directory of the Prefect project (default ./flow; env DEZC_FLOW_DIR; config flow.dir).',
    helpGroup: 'FLOW',
  }),
}

const portFlag = {
  port: Flags.integer({
    description:
      "Loopback port of the project's Prefect server (default: the one flow up used, else 4200; env DEZC_FLOW_PORT; config flow.port).",
    helpGroup: 'FLOW',
  }),
}

export const initFlags = {
  ...dirFlag,
  force: Flags.boolean({description: 'Overwrite files you edited (a copy of each goes to <file>.bak).'}),
  ...dryRunFlag,
}

export const upFlags = {
  ...dirFlag,
  ...portFlag,
  venv: Flags.string({
    description:
      'Python virtual environment holding Prefect; created with uv or python3 -m venv when missing (default <dir>/.venv; env DEZC_FLOW_VENV; config flow.venv).',
    helpGroup: 'FLOW',
  }),
  'wait-timeout': Flags.integer({
    description: 'Seconds to wait for the server to be healthy and the worker to register (default 180).',
    default: 180,
  }),
  ...dryRunFlag,
}

export const projectFlags = {...dirFlag, ...portFlag}

export const runFlags = {
  ...projectFlags,
  param: Flags.string({
    char: 'p',
    multiple: true,
    description: 'A flow parameter name=value (repeatable); lists split on commas (months=2021-01,2021-02) or JSON.',
  }),
  timeout: Flags.integer({
    description: 'Seconds to follow the run before giving up (default 3600; the run goes on).',
    default: 3600,
  }),
}
