/** Shared by the env commands: flags -> Stack. Kept out of src/commands so oclif does not treat it as a command. */
import type {LoadedConfig} from '../config/load.js'
import {resolveStack, type Stack} from './profiles.js'

export interface StackFlagValues {
  host?: string
  stack?: string
  'docker-host'?: string
  'pg-port'?: number
  'pgadmin-port'?: number
  'no-pgadmin'?: boolean
  'wait-timeout'?: number
}

export function stackFromFlags(config: LoadedConfig, f: StackFlagValues): Stack {
  return resolveStack(config, {
    profile: f.host,
    stack: f.stack,
    dockerHost: f['docker-host'],
    pgPort: f['pg-port'],
    pgadminPort: f['pgadmin-port'],
    noPgadmin: f['no-pgadmin'],
    waitTimeout: f['wait-timeout'],
  })
}
