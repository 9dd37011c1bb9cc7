/**
 * Work-around for the shared global setup: it builds under vitest's NODE_ENV=test, so `oclif
 * manifest` records src/commands/*.ts paths and the built CLI (NODE_ENV=production, auto-transpile
 * off) then fails with ERR_UNKNOWN_FILE_EXTENSION. Regenerate the manifest in production mode when
 * it points at src/. (Proper fix: build with NODE_ENV=production in test/helpers/global-setup.ts.)
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {ROOT} from './cli.js'

export function ensureProdManifest(): void {
  const file = path.join(ROOT, 'oclif.manifest.json')
  if (fs.existsSync(file) && !fs.readFileSync(file, 'utf8').includes('"src",')) return
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'oclif'), ['manifest'], {cwd: ROOT, env: {...process.env, NODE_ENV: 'production'}, stdio: 'ignore'})
}
