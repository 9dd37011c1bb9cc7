// Build dist/ and the oclif manifest once per test run: CLI tests spawn the real bin/run.js,
// exactly what a user runs, instead of an in-process imitation.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export default function setup(): void {
  if (process.env.DEZC_TEST_SKIP_BUILD === '1') return
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  // NODE_ENV=production: vitest's env block sets NODE_ENV=test here too, and under "test" `oclif manifest`
  // records src/commands/*.ts paths, which the production bin (auto-transpile off) cannot load.
  execFileSync('npm', ['run', '--silent', 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: {...process.env, NODE_ENV: 'production'},
  })
}
