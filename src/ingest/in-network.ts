/**
 * `dezc ingest --in-network`: run the same ingest inside the env stack's Docker network, so the data
 * goes from the source to Postgres without crossing this machine's link (the course's
 * `docker run --network=pg-network taxi_ingest:v001`). The image is built once per dezc build from
 * docker/ingest/Dockerfile with the installed package as its context; downloads are cached in a
 * volume so they resume and are reused across runs. Docker is reached only through src/docker/client.ts.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {PassThrough} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {DezcError, ExitCode, usageError, type ExitCodeValue} from '../core/errors.js'
import type {JsonEnvelope} from '../core/json.js'
import {platformOverride} from '../core/test-knobs.js'
import type {Ui} from '../core/ui.js'
import type {DockerClient, EngineInfo} from '../docker/client.js'
import {connectStack} from '../env/engine.js'
import {envUpCommand, postgresUrl, redactUrl, type Stack} from '../env/settings.js'
import {baseLabels, LABEL} from '../env/spec.js'
import type {IngestSummary} from './service.js'

export const DOCKERFILE = 'docker/ingest/Dockerfile'
/** Where the package lives (dist/ingest/in-network.js -> the package root). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface InNetworkOptions {
  stack: Stack
  /** Arguments for the `dezc ingest` inside (dataset, periods, flags), without --db-url/--json. */
  args: string[]
  /** --db-url as given (reachable from inside the network); default: the stack's Postgres by its alias. */
  dbUrl?: string
  /** Where the trip files are (passed through the environment: it may hold credentials). */
  baseUrl?: string
  imageBase: string
  ui: Ui
  signal: AbortSignal
  packageRoot?: string
}

export interface InNetworkSummary extends IngestSummary {
  inNetwork: {network: string; image: string; built: boolean}
}

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p, out)
    else out.push(p)
  }
}

/** Image tag: dezc version + a hash of the base and of the built files, so each build of dezc gets its own image once. */
export function imageTag(root: string, base: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}
  const h = createHash('sha256')
    .update(base)
    .update(fs.readFileSync(path.join(root, DOCKERFILE)))
  const files: string[] = []
  walk(path.join(root, 'dist'), files)
  for (const f of files.sort()) {
    const st = fs.statSync(f)
    h.update(`${path.relative(root, f)}:${st.size}:${st.mtimeMs}\n`)
  }
  return `dezc-ingest:${pkg.version}-${h.digest('hex').slice(0, 12)}`
}

/** node_modules paths that are dev-only according to package-lock.json (absent lock: none). */
function devOnlyPaths(root: string): Set<string> {
  const lock = path.join(root, 'package-lock.json')
  if (!fs.existsSync(lock)) return new Set()
  const packages =
    (JSON.parse(fs.readFileSync(lock, 'utf8')) as {packages?: Record<string, {dev?: boolean}>}).packages ?? {}
  return new Set(
    Object.entries(packages)
      .filter(([k, v]) => k && v.dev)
      .map(([k]) => k),
  )
}

async function buildContext(root: string): Promise<NodeJS.ReadableStream> {
  const {create} = await import('tar')
  const dev = devOnlyPaths(root)
  const filter = (p: string) => {
    const rel = p.replace(/^\.\//, '').replace(/\/$/, '')
    if (!rel.startsWith('node_modules/')) return true
    // node_modules/a/node_modules/b: drop when any prefix package is dev-only.
    const parts = rel.split('/')
    for (let i = 2; i <= parts.length; i++) if (dev.has(parts.slice(0, i).join('/'))) return false
    return !rel.startsWith('node_modules/.cache')
  }
  // tar's Pack is a Minipass: it pipes like a Readable (all dockerode does with it) but lacks
  // members of NodeJS.ReadableStream such as unshift and wrap.
  return create({cwd: root, portable: true, filter}, [
    DOCKERFILE,
    'package.json',
    'oclif.manifest.json',
    'bin',
    'dist',
    'node_modules',
  ]) as unknown as NodeJS.ReadableStream
}

export async function ensureImage(
  client: DockerClient,
  o: {root: string; base: string; ui: Ui; signal: AbortSignal; labels: Record<string, string>},
): Promise<{image: string; built: boolean}> {
  const image = imageTag(o.root, o.base)
  if (await client.imageExists(image)) return {image, built: false}
  for (const f of ['dist', 'node_modules', 'oclif.manifest.json']) {
    if (!fs.existsSync(path.join(o.root, f))) {
      throw new DezcError({
        code: 'IN_NETWORK_UNAVAILABLE',
        message: `Cannot build the in-network image: ${f} is missing in ${o.root}.`,
        suggestion: 'Run `npm run build` in the dezc checkout (or reinstall dezc).',
        exit: ExitCode.PREREQUISITE,
      })
    }
  }
  o.ui.reporter.info(`Building ${image} from ${DOCKERFILE} on ${o.base} (once per dezc build)...`)
  await client.buildImage(
    await buildContext(o.root),
    {tag: image, dockerfile: DOCKERFILE, buildargs: {BASE: o.base}, labels: o.labels, signal: o.signal},
    (line) => o.ui.reporter.debug(line),
  )
  return {image, built: true}
}

const GO_OS: Record<string, string> = {win32: 'windows'}
const GO_ARCH: Record<string, string> = {x64: 'amd64', ia32: '386'}

/** This machine's OS and architecture, named as the engine names them (GOOS/GOARCH); the DEZC_PLATFORM test knob acts as another. */
export function localPlatform(env: NodeJS.ProcessEnv = process.env): {os: string; arch: string} {
  const {os, arch} = platformOverride(env) ?? {os: process.platform, arch: process.arch}
  return {os: GO_OS[os] ?? os, arch: GO_ARCH[arch] ?? arch}
}

/**
 * The image ships this installation's node_modules, DuckDB's native bindings included, so the
 * engine must run containers of this machine's OS and architecture (Docker Desktop on a Mac runs
 * linux ones: macOS bindings would not load there).
 */
export function checkEnginePlatform(engine: Pick<EngineInfo, 'os' | 'arch'>, local = localPlatform()): void {
  if (engine.os && engine.os !== local.os) {
    throw new DezcError({
      code: 'IN_NETWORK_OS_MISMATCH',
      message: `The engine runs ${engine.os} containers but this dezc runs on ${local.os}: its native modules (DuckDB) are built for ${local.os}, so its image would not run on the engine.`,
      suggestion: [
        'Run dezc ingest without --in-network from this machine (the data then passes through it).',
        `Or run dezc ingest --in-network from a ${engine.os} machine of the engine's architecture (${engine.arch}), e.g. a ${engine.os} VM or the engine host itself.`,
      ],
      exit: ExitCode.PREREQUISITE,
    })
  }
  if (engine.arch && engine.arch !== local.arch) {
    throw new DezcError({
      code: 'IN_NETWORK_ARCH_MISMATCH',
      message: `The engine runs ${engine.arch} but this dezc has ${local.arch} native modules (DuckDB), so its image would not run there.`,
      suggestion:
        'Run dezc ingest without --in-network, or install dezc on a machine of the same architecture as the engine.',
      exit: ExitCode.PREREQUISITE,
    })
  }
}

export async function ingestInNetwork(o: InNetworkOptions): Promise<InNetworkSummary> {
  const root = o.packageRoot ?? PACKAGE_ROOT
  const {stack} = o
  const engine = await connectStack(stack)
  const {client} = engine
  try {
    checkEnginePlatform(engine.info)
    if (!(await client.networkExists(stack.network))) {
      throw new DezcError({
        code: 'STACK_NOT_RUNNING',
        message: `The env stack's network ${stack.network} does not exist on the engine.`,
        suggestion: `Start the stack first: ${envUpCommand(stack)}.`,
        exit: ExitCode.UNHEALTHY,
      })
    }
    const labels: Record<string, string> = {...baseLabels(stack), [LABEL.service]: 'ingest'}
    const {image, built} = await ensureImage(client, {root, base: o.imageBase, ui: o.ui, signal: o.signal, labels})
    const cache = `${stack.name ? `${stack.name}-` : ''}dezc-ingest-cache`
    if (!(await client.inspectVolume(cache))) await client.createVolume(cache, labels)
    const dbUrl = o.dbUrl ?? postgresUrl(stack, stack.postgres.alias, 5432)
    const name = `${stack.name ? `${stack.name}-` : ''}dezc-ingest-${process.pid}`
    // Not marked "managed": `dezc env up` removes managed containers it does not know as orphans.
    const containerLabels = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== LABEL.managed))
    await client.removeContainer(name, true)
    await client.createContainer(name, {
      Image: image,
      Cmd: ['ingest', ...o.args, '--json'],
      // The URL (with its password) goes through the environment, not the command line.
      Env: [`DEZC_INGEST_DB_URL=${dbUrl}`, ...(o.baseUrl ? [`DEZC_INGEST_BASE_URL=${o.baseUrl}`] : [])],
      Labels: containerLabels,
      HostConfig: {NetworkMode: stack.network, Mounts: [{Type: 'volume', Source: cache, Target: '/cache'}]},
    })
    const onAbort = () => void client.signalContainer(name, 'SIGINT')
    try {
      o.ui.reporter.info(
        `Running dezc ingest in ${image} on network ${stack.network} (Postgres at ${redactUrl(dbUrl)})...`,
      )
      await client.startContainer(name)
      o.signal.addEventListener('abort', onAbort, {once: true})
      let stdout = ''
      const out = new PassThrough()
      const err = new PassThrough()
      out.on('data', (d) => (stdout += d))
      let partial = ''
      err.on('data', (d) => {
        const lines = (partial + d).split('\n')
        partial = lines.pop() ?? ''
        // Warnings come once, from the result envelope below.
        for (const l of lines) if (l.trim() && !l.startsWith('Warning: ')) o.ui.reporter.info(`[in-network] ${l}`)
      })
      await client.streamLogs(name, {follow: true}, out, err)
      const code = await client.waitContainer(name)
      // The container runs this same dezc with --json: its stdout is one JSON envelope (core/json.ts).
      let envelope: JsonEnvelope<IngestSummary>
      try {
        envelope = JSON.parse(stdout)
      } catch {
        throw new DezcError({
          code: 'IN_NETWORK_FAILED',
          message: `dezc ingest inside ${image} exited with ${code} without a result: ${(stdout + partial).trim().slice(-500) || '(no output)'}`,
          suggestion:
            'Run with --verbose to see the build and container output; `dezc ingest` without --in-network shows the same errors directly.',
          exit: ExitCode.FAILURE,
        })
      }
      if ('error' in envelope) {
        const e = envelope.error
        throw new DezcError({
          code: e.code,
          message: `${e.message} (in-network run)`,
          suggestion: e.suggestions,
          exit: (e.exit ?? code) as ExitCodeValue,
          details: e.details,
        })
      }
      for (const w of envelope.warnings ?? []) o.ui.reporter.warn(`[in-network] ${w}`)
      return {...envelope.result, inNetwork: {network: stack.network, image, built}}
    } finally {
      o.signal.removeEventListener('abort', onAbort)
      await client.removeContainer(name, true).catch(() => {})
    }
  } finally {
    client.close()
  }
}

/** --in-network takes files from URLs only: a local path is on this machine, not in the network. */
export function checkInNetworkFile(file: string | undefined): void {
  if (file && !/^https?:\/\//i.test(file)) {
    throw usageError(
      'IN_NETWORK_LOCAL_FILE',
      `--in-network cannot read the local file ${file}: the ingest runs on the engine.`,
      'Give an http(s) URL with --file, or drop --in-network to load a local file.',
    )
  }
}
