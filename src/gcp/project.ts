/**
 * Which Google Cloud project: --project > GOOGLE_CLOUD_PROJECT / CLOUDSDK_CORE_PROJECT > config
 * `gcp.project` > the ADC quota project > gcloud's active configuration > a prompt. Always
 * validated as a project ID (people often paste the project's display name).
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type {Prompter} from '../core/ui.js'
import {adcQuotaProject} from './auth.js'
import {validateProjectId} from './defaults.js'

export interface ProjectSource {
  project: string
  source: string
}

export interface ResolveProjectOptions {
  flag?: string
  config?: string
  env?: NodeJS.ProcessEnv
  prompter: Prompter
}

export async function resolveProject(o: ResolveProjectOptions): Promise<ProjectSource> {
  const env = o.env ?? process.env
  const candidates: Array<[string | undefined, string]> = [
    [o.flag, '--project'],
    [env.GOOGLE_CLOUD_PROJECT, 'GOOGLE_CLOUD_PROJECT'],
    [env.CLOUDSDK_CORE_PROJECT, 'CLOUDSDK_CORE_PROJECT'],
    [o.config, 'config gcp.project'],
  ]
  for (const [value, source] of candidates) {
    if (value && value.trim()) return {project: validateProjectId(value.trim()), source}
  }
  const quota = await adcQuotaProject(env)
  if (quota) return {project: validateProjectId(quota), source: 'ADC quota project'}
  const gcloud = await gcloudConfigProject(env)
  if (gcloud) return {project: validateProjectId(gcloud), source: 'gcloud config'}
  const answer = await o.prompter.input({
    message: 'Google Cloud project ID',
    flagHint: '--project PROJECT_ID (or set gcp.project in dezc.yaml)',
    validate: (v) => {
      try {
        validateProjectId(v.trim())
        return true
      } catch (error) {
        return (error as Error).message
      }
    },
  })
  return {project: validateProjectId(answer.trim()), source: 'prompt'}
}

/** `[core] project` of gcloud's active configuration, read from its files (no gcloud process). */
export async function gcloudConfigProject(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dir = env.CLOUDSDK_CONFIG || path.join(env.HOME || os.homedir(), '.config', 'gcloud')
  try {
    const active = (env.CLOUDSDK_ACTIVE_CONFIG_NAME || (await fs.readFile(path.join(dir, 'active_config'), 'utf8'))).trim() || 'default'
    const ini = await fs.readFile(path.join(dir, 'configurations', `config_${active}`), 'utf8')
    let section = ''
    for (const raw of ini.split(/\r?\n/)) {
      const line = raw.trim()
      const s = /^\[(.+)\]$/.exec(line)
      if (s) section = s[1]
      else if (section === 'core') {
        const m = /^project\s*=\s*(.+)$/.exec(line)
        if (m) return m[1].trim()
      }
    }
  } catch {
    // no gcloud config
  }
  return undefined
}
