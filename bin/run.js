#!/usr/bin/env node
// Production entry point. Auto-transpile stays off so a user's NODE_ENV=development never makes
// the installed CLI hunt for tsconfig/tsx; the compile cache (Node >= 22.1) speeds up later starts.
import module from 'node:module'
import {readFileSync} from 'node:fs'

if (process.argv.length === 3 && process.argv[2] === '--version') {
  // `dezc --version` needs no framework: answering before oclif loads saves most of the start-up.
  // Same text as oclif's version command: <name>/<version> <platform>-<arch> node-<version>.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  if (typeof module.enableCompileCache === 'function') module.enableCompileCache()
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
  const {execute, settings} = await import('@oclif/core')
  settings.enableAutoTranspile = false
  if (process.env.DEBUG?.includes('oclif:perf')) settings.performanceEnabled = true
  // Bare `dezc` offers the wizard in a terminal and shows the help otherwise (see commands/wizard.ts).
  await execute({dir: import.meta.url, args: process.argv.length <= 2 ? ['wizard', '--offer'] : undefined})
}
