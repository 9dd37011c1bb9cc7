#!/usr/bin/env node
// Production entry point. Auto-transpile stays off so a user's NODE_ENV=development never makes
// the installed CLI hunt for tsconfig/tsx; the compile cache (Node >= 22.1) speeds up later starts.
import module from 'node:module'
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const args = process.argv.slice(2)
const pkgFile = new URL('../package.json', import.meta.url)

if (args.length === 1 && args[0] === '--version') {
  // `dezc --version` needs no framework: answering before oclif loads saves most of the start-up.
  // Same text as oclif's version command: <name>/<version> <platform>-<arch> node-<version>.
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const cached = await helpCache(args)
  const text = cached?.read()
  if (text !== undefined) {
    process.stdout.write(text)
  } else {
    if (typeof module.enableCompileCache === 'function') module.enableCompileCache()
    process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
    const {execute, settings} = await import('@oclif/core')
    settings.enableAutoTranspile = false
    if (process.env.DEBUG?.includes('oclif:perf')) settings.performanceEnabled = true
    const stopCapture = cached?.capture()
    // Bare `dezc` offers the wizard in a terminal and shows the help otherwise (see commands/wizard.ts).
    await execute({dir: import.meta.url, args: args.length === 0 ? ['wizard', '--offer'] : undefined})
    stopCapture?.()
  }
}

/**
 * Root and topic help (`dezc --help`, `dezc env --help`, `dezc help gcp`) are rendered by oclif once
 * and then served from the cache dir: loading oclif costs more than the rest of the start-up, and
 * these texts depend only on what the key holds (installed package and manifest, Node, terminal
 * width and colour). Command help is not cached: flag defaults may depend on config.
 */
async function helpCache(argv) {
  const HELP = ['--help', '-h']
  const topicWord = /^[a-z][a-z-]*$/
  let topic
  if (argv.length === 1 && (HELP.includes(argv[0]) || argv[0] === 'help')) topic = ''
  else if (argv.length === 2 && HELP.includes(argv[1]) && topicWord.test(argv[0])) topic = argv[0]
  else if (argv.length === 2 && argv[0] === 'help' && topicWord.test(argv[1])) topic = argv[1]
  else return undefined
  try {
    const root = fileURLToPath(new URL('..', import.meta.url))
    const manifestFile = path.join(root, 'oclif.manifest.json')
    const stamp = (f) => {
      const s = statSync(f)
      return `${s.size}:${s.mtimeMs}`
    }
    const env = process.env
    const columns =
      Number.parseInt(env.OCLIF_COLUMNS, 10) || (process.stdout.isTTY ? process.stdout.getWindowSize()[0] : 80)
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          argv,
          stamp(fileURLToPath(pkgFile)),
          stamp(manifestFile),
          process.version,
          process.platform,
          process.arch,
          columns,
          Boolean(process.stdout.isTTY),
          colourEnv(env),
        ]),
      )
      .digest('hex')
      .slice(0, 32)
    // The same cache dir as every other command (a small module: no framework loaded).
    const {cacheDir} = await import('../dist/config/paths.js')
    const dir = path.join(cacheDir(env), 'help')
    const file = path.join(dir, `${key}.txt`)
    return {
      read() {
        try {
          return readFileSync(file, 'utf8')
        } catch {
          return undefined
        }
      },
      capture() {
        const chunks = []
        const write = process.stdout.write
        process.stdout.write = function (chunk, ...rest) {
          chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
          return write.call(this, chunk, ...rest)
        }
        return () => {
          process.stdout.write = write
          if (process.exitCode || chunks.length === 0) return
          // Only topics that are not also commands (`ingest --help` shows a command's flags).
          const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
          if (
            topic !== '' &&
            (manifest.commands[topic] || !Object.keys(manifest.commands).some((id) => id.startsWith(`${topic}:`)))
          )
            return
          try {
            mkdirSync(dir, {recursive: true})
            const tmp = `${file}.${process.pid}.tmp`
            writeFileSync(tmp, chunks.join(''))
            renameSync(tmp, file)
          } catch {
            // A cache we cannot write only costs speed.
          }
        }
      },
    }
  } catch {
    return undefined
  }
}

/** What oclif's colour library (ansis) looks at besides the TTY: the same answers, the same colours. */
function colourEnv(env) {
  const vars = [
    'FORCE_COLOR',
    'NO_COLOR',
    'TERM',
    'COLORTERM',
    'CI',
    'TF_BUILD',
    'PM2_HOME',
    'pm_id',
    'NEXT_RUNTIME',
  ].map((k) => env[k] ?? null)
  return [
    ...vars,
    Object.keys(env)
      .filter((k) => /GIT(HUB|EA)|TEAMCI/.test(k))
      .sort(),
  ]
}
