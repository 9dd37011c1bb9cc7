// Build dist/ and the oclif manifest once per test run: CLI tests spawn the real bin/run.js,
// exactly what a user runs, instead of an in-process imitation.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export default function setup(): void {
  if (process.env.DEZC_TEST_SKIP_BUILD === '1') return
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  execFileSync('npm', ['run', '--silent', 'build'], {cwd: root, stdio: 'inherit'})
}
