/**
 * A Python environment for a benchmark's peers (what a student runs instead of dezc), created once
 * with uv from PyPI under $DEZC_BENCH_CACHE (default /var/cache/dezc-bench) and reused while its
 * imports work. uv itself is pip-installed into the cache when needed.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const BENCH_CACHE = process.env.DEZC_BENCH_CACHE ?? '/var/cache/dezc-bench'

/** The python of venv `name` with `packages` installed; `imports` is the check that it is complete. */
export function benchPython(name: string, packages: string[], imports: string): string {
  const venv = path.join(BENCH_CACHE, name)
  const python = path.join(venv, 'bin', 'python')
  if (spawnSync(python, ['-c', `import ${imports}`], {encoding: 'utf8'}).status === 0) return python
  const t0 = performance.now()
  const step = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync(cmd, args, {encoding: 'utf8', env})
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`)
  }
  const uvPkg = path.join(BENCH_CACHE, 'uv-pkg')
  const uv = path.join(uvPkg, 'bin', 'uv')
  fs.mkdirSync(BENCH_CACHE, {recursive: true})
  if (!fs.existsSync(uv))
    step('python3', ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--target', uvPkg, 'uv'])
  step(uv, ['venv', '-q', '--allow-existing', venv])
  step(uv, ['pip', 'install', '-q', ...packages], {...process.env, VIRTUAL_ENV: venv})
  console.log(
    `created the Python environment ${venv} (${packages.join(' ')}) with uv in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  return python
}
