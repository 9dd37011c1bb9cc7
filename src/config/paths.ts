/** XDG locations for dezc's files. Each has a DEZC_* override (tests point them at temp dirs). */
import os from 'node:os'
import path from 'node:path'

type Env = NodeJS.ProcessEnv

function home(env: Env): string {
  return env.HOME || os.homedir()
}

export function userConfigDir(env: Env = process.env): string {
  if (env.DEZC_CONFIG_DIR) return env.DEZC_CONFIG_DIR
  return path.join(env.XDG_CONFIG_HOME || path.join(home(env), '.config'), 'dezc')
}

export function userConfigFile(env: Env = process.env): string {
  return path.join(userConfigDir(env), 'config.yaml')
}

export function cacheDir(env: Env = process.env): string {
  if (env.DEZC_CACHE_DIR) return env.DEZC_CACHE_DIR
  return path.join(env.XDG_CACHE_HOME || path.join(home(env), '.cache'), 'dezc')
}

export function dataDir(env: Env = process.env): string {
  if (env.DEZC_DATA_DIR) return env.DEZC_DATA_DIR
  return path.join(env.XDG_DATA_HOME || path.join(home(env), '.local', 'share'), 'dezc')
}

/** The project file looked for in the working directory. */
export const PROJECT_CONFIG_NAME = 'dezc.yaml'

/** Expand a leading `~/` the way a shell would (config values often use it). */
export function expandHome(p: string, env: Env = process.env): string {
  if (p === '~') return home(env)
  if (p.startsWith('~/')) return path.join(home(env), p.slice(2))
  return p
}
