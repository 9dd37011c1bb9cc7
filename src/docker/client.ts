/**
 * The only module that talks to dockerode. It connects to a resolved endpoint (unix, tcp, ssh),
 * maps engine and transport failures to DezcErrors with the fix, and offers the handful of
 * operations dezc needs, each with the engine's quirks handled once (see
 * ../shared/notes/docker-engine-api.md): 404 as "absent", 409 on networks as "exists", pull errors
 * hidden inside 200 streams, multiplexed logs, files uploaded as tar archives.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import Module, {createRequire} from 'node:module'
import {Duplex, PassThrough, type Writable} from 'node:stream'
import type Dockerode from 'dockerode'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from '../core/errors.js'
import {describeEndpoint, type DockerEndpoint} from './endpoint.js'

export interface EngineInfo {
  version: string
  apiVersion: string
  os: string
  arch: string
  loggingDriver?: string
  operatingSystem?: string
}

export interface ContainerSummary {
  id: string
  name: string
  image: string
  state: string
  labels: Record<string, string>
  ports: Array<{privatePort: number; publicPort?: number; ip?: string}>
}

/**
 * dockerode loads gRPC/protobuf for BuildKit sessions and docker-modem loads ssh2, eagerly: ~250 ms
 * of every command's start, for parts dezc rarely or never uses (our ssh transport is `ssh ...
 * docker system dial-stdio`). Pre-seed the CommonJS cache with stand-ins that load the real module
 * on first call, so those costs are paid only when the feature is used.
 */
let deferred = false
function deferUnusedDockerodeParts(): void {
  if (deferred) return
  deferred = true
  const require = createRequire(import.meta.url)
  const cache = (Module as unknown as {_cache: Record<string, unknown>})._cache
  for (const id of ['dockerode/lib/session.js', 'docker-modem/lib/ssh.js']) {
    let file: string
    try {
      file = require.resolve(id)
    } catch {
      continue // another layout: load normally
    }
    if (cache[file]) continue
    const stub = new Module(file) as Module & {filename: string; loaded: boolean; exports: unknown}
    stub.filename = file
    stub.loaded = true
    stub.exports = function loadOnFirstCall(this: unknown, ...args: unknown[]): unknown {
      delete cache[file]
      return (require(file) as (...a: unknown[]) => unknown).apply(this, args)
    }
    cache[file] = stub
  }
}

export class DockerClient {
  private constructor(
    readonly docker: Dockerode,
    readonly endpoint: DockerEndpoint,
    private readonly sshAgent?: SshDialAgent,
  ) {}

  static async connect(endpoint: DockerEndpoint): Promise<DockerClient> {
    deferUnusedDockerodeParts()
    const {default: Docker} = await import('dockerode')
    let agent: SshDialAgent | undefined
    let options: Dockerode.DockerOptions
    switch (endpoint.kind) {
      case 'unix':
      case 'npipe':
        options = {socketPath: endpoint.socketPath}
        break
      case 'tcp': {
        const tls = endpoint.tls
        const read = (p?: string) => (p && fs.existsSync(p) ? fs.readFileSync(p) : undefined)
        options = {host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol, ca: read(tls?.ca), cert: read(tls?.cert), key: read(tls?.key)}
        break
      }
      case 'ssh':
        // `ssh HOST docker system dial-stdio` instead of dockerode's ssh2 transport: it honours
        // ~/.ssh/config, known_hosts and keys, and keep-alive reuses one connection.
        agent = new SshDialAgent(endpoint)
        options = {host: 'docker-over-ssh', port: 80, protocol: 'http', agent} as Dockerode.DockerOptions
        break
    }
    const docker = new Docker(options)
    return new DockerClient(docker, endpoint, agent)
  }

  /** Close transports (ssh processes) so the CLI can exit. */
  close(): void {
    this.sshAgent?.destroy()
  }

  /** Reach the engine within a short timeout; map every way this fails to an error with the fix. */
  async ping(timeoutMs?: number): Promise<EngineInfo> {
    // ssh pays a handshake and starts `docker system dial-stdio` on the far side first.
    timeoutMs ??= this.endpoint.kind === 'ssh' ? 15_000 : 5000
    try {
      const v = (await this.docker.version({abortSignal: AbortSignal.timeout(timeoutMs)} as never)) as unknown as Record<string, string>
      return {version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch}
    } catch (error) {
      // Over ssh the request often fails ("socket hang up") before ssh's exit status arrives:
      // prefer ssh's own diagnosis (auth, host key, docker missing on the remote PATH).
      const sshFailure = await this.sshAgent?.lastFailure()
      throw this.mapError(sshFailure ?? error, 'reach the Docker engine')
    }
  }

  async info(): Promise<{loggingDriver?: string; operatingSystem?: string; architecture?: string; name?: string; dockerRootDir?: string}> {
    const i = (await this.call('read engine info', () => this.docker.info())) as Record<string, string>
    return {loggingDriver: i.LoggingDriver, operatingSystem: i.OperatingSystem, architecture: i.Architecture, name: i.Name, dockerRootDir: i.DockerRootDir}
  }

  // ---------- containers ----------

  async listContainers(labels: Record<string, string>, all = true): Promise<ContainerSummary[]> {
    const filters = {label: Object.entries(labels).map(([k, v]) => `${k}=${v}`)}
    const list = await this.call('list containers', () => this.docker.listContainers({all, filters}))
    return list.map(toSummary)
  }

  async listAllContainers(): Promise<ContainerSummary[]> {
    return (await this.call('list containers', () => this.docker.listContainers({all: true}))).map(toSummary)
  }

  async inspectContainer(name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    return this.orUndefined(`inspect container ${name}`, () => this.docker.getContainer(name).inspect())
  }

  async createContainer(name: string, body: Record<string, unknown>): Promise<string> {
    const c = await this.call(`create container ${name}`, () => this.docker.createContainer({name, ...body} as Dockerode.ContainerCreateOptions))
    return c.id
  }

  /** Upload one file into a (created, not yet started) container. */
  async putFile(container: string, filePath: string, content: string, mode = 0o644): Promise<void> {
    const dir = filePath.slice(0, filePath.lastIndexOf('/')) || '/'
    const name = filePath.slice(filePath.lastIndexOf('/') + 1)
    const archive = tarSingleFile(name, Buffer.from(content), mode)
    await this.call(`copy ${filePath} into ${container}`, () => this.docker.getContainer(container).putArchive(archive, {path: dir}))
  }

  async startContainer(name: string): Promise<void> {
    await this.call(`start container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).start()
      } catch (error) {
        if ((error as {statusCode?: number}).statusCode === 304) return // already started
        throw error
      }
    })
  }

  async stopContainer(name: string, timeoutSeconds = 10): Promise<void> {
    await this.call(`stop container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).stop({t: timeoutSeconds})
      } catch (error) {
        const code = (error as {statusCode?: number}).statusCode
        if (code === 304 || code === 404) return // already stopped / gone
        throw error
      }
    })
  }

  /** Remove a container; its volumes are never removed here (that is an explicit, separate step). */
  async removeContainer(name: string, force = false): Promise<boolean> {
    return this.call(`remove container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).remove({force, v: false})
        return true
      } catch (error) {
        if ((error as {statusCode?: number}).statusCode === 404) return false
        throw error
      }
    })
  }

  /** Last lines of a container's logs, demultiplexed, as text. */
  async logsTail(name: string, tail = 30): Promise<string> {
    try {
      const buf = (await this.docker.getContainer(name).logs({stdout: true, stderr: true, tail, follow: false})) as unknown as Buffer
      return demuxBuffer(buf)
    } catch (error) {
      return `(logs unavailable: ${errorMessage(error)})`
    }
  }

  /** Stream logs into `out` line by line; resolves when the stream ends (or on abort with follow). */
  async streamLogs(name: string, options: {follow: boolean; tail?: number; since?: number; timestamps?: boolean; signal?: AbortSignal}, out: Writable, err: Writable): Promise<void> {
    const c = this.docker.getContainer(name)
    if (!options.follow) {
      const buf = (await this.call(`read logs of ${name}`, () => (c.logs as any)({stdout: true, stderr: true, follow: false, tail: options.tail ?? "all", since: options.since, timestamps: options.timestamps}) as Promise<unknown>)) as unknown as Buffer
      demuxBufferTo(buf, out, err)
      return
    }
    const stream = (await this.call(`follow logs of ${name}`, () => (c.logs as any)({stdout: true, stderr: true, follow: true, tail: options.tail ?? "all", since: options.since, timestamps: options.timestamps}) as Promise<unknown>)) as unknown as NodeJS.ReadableStream & {destroy(): void}
    this.docker.modem.demuxStream(stream, out, err)
    await new Promise<void>((resolve) => {
      const done = () => resolve()
      stream.on('end', done)
      stream.on('close', done)
      stream.on('error', done)
      options.signal?.addEventListener('abort', () => {
        stream.destroy()
        resolve()
      })
    })
  }

  /**
   * Run a command in a container attached to this terminal (docker exec -it). Resolves with the
   * command's exit code.
   */
  async execInteractive(container: string, cmd: string[], options: {tty: boolean; env?: string[]; user?: string}): Promise<number> {
    const c = this.docker.getContainer(container)
    const exec = await this.call(`exec in ${container}`, () =>
      c.exec({Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: options.tty, Env: options.env, User: options.user}),
    )
    const stream = (await this.call(`exec in ${container}`, () => exec.start({hijack: true, stdin: true, Tty: options.tty} as never))) as unknown as Duplex
    const stdin = process.stdin
    const wasRaw = stdin.isTTY ? stdin.isRaw : false
    const resize = () => {
      if (process.stdout.columns) exec.resize({h: process.stdout.rows, w: process.stdout.columns}).catch(() => {})
    }
    if (options.tty && stdin.isTTY) {
      stdin.setRawMode(true)
      process.stdout.on('resize', resize)
    }
    if (options.tty) stream.pipe(process.stdout)
    else this.docker.modem.demuxStream(stream, process.stdout, process.stderr)
    stdin.resume()
    stdin.pipe(stream)
    if (options.tty) setTimeout(resize, 50)
    await new Promise<void>((resolve) => {
      stream.on('end', resolve)
      stream.on('close', resolve)
      stream.on('error', resolve)
    })
    stdin.unpipe(stream)
    if (options.tty && stdin.isTTY) {
      stdin.setRawMode(wasRaw)
      process.stdout.off('resize', resize)
    }
    stdin.pause()
    const info = await exec.inspect()
    return info.ExitCode ?? 0
  }

  /** Run a command to completion and capture its output (no TTY). */
  async execCapture(container: string, cmd: string[], env?: string[]): Promise<{exitCode: number; stdout: string; stderr: string}> {
    const c = this.docker.getContainer(container)
    const exec = await this.call(`exec in ${container}`, () => c.exec({Cmd: cmd, AttachStdout: true, AttachStderr: true, Env: env}))
    const stream = (await this.call(`exec in ${container}`, () => exec.start({hijack: true, stdin: false} as never))) as unknown as Duplex
    const out = new PassThrough()
    const errOut = new PassThrough()
    let stdout = ''
    let stderr = ''
    out.on('data', (d) => (stdout += d))
    errOut.on('data', (d) => (stderr += d))
    this.docker.modem.demuxStream(stream, out, errOut)
    await new Promise<void>((resolve) => {
      stream.on('end', resolve)
      stream.on('close', resolve)
      stream.on('error', resolve)
    })
    const info = await exec.inspect()
    return {exitCode: info.ExitCode ?? -1, stdout, stderr}
  }

  // ---------- networks ----------

  /** Create the network unless it exists. Duplicate-safe on old engines (CheckDuplicate, 409 = exists). */
  async ensureNetwork(name: string, labels: Record<string, string>): Promise<'created' | 'exists'> {
    const existing = await this.orUndefined(`inspect network ${name}`, () => this.docker.getNetwork(name).inspect())
    if (existing && (existing as {Name?: string}).Name === name) return 'exists'
    try {
      await this.docker.createNetwork({Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels})
      return 'created'
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 409) return 'exists'
      throw this.mapError(error, `create network ${name}`)
    }
  }

  async removeNetwork(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).remove()
      return true
    } catch (error) {
      const code = (error as {statusCode?: number}).statusCode
      if (code === 404) return false
      throw this.mapError(error, `remove network ${name}`)
    }
  }

  async networkExists(name: string): Promise<boolean> {
    const n = await this.orUndefined(`inspect network ${name}`, () => this.docker.getNetwork(name).inspect())
    return Boolean(n && (n as {Name?: string}).Name === name)
  }

  // ---------- volumes ----------

  async inspectVolume(name: string): Promise<{name: string; labels: Record<string, string>; createdAt?: string} | undefined> {
    const v = await this.orUndefined(`inspect volume ${name}`, () => this.docker.getVolume(name).inspect())
    return v ? {name: v.Name, labels: (v.Labels as Record<string, string> | null) ?? {}, createdAt: (v as {CreatedAt?: string}).CreatedAt} : undefined
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call(`create volume ${name}`, () => this.docker.createVolume({Name: name, Labels: labels}))
  }

  async removeVolume(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).remove()
      return true
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) return false
      throw this.mapError(error, `remove volume ${name}`)
    }
  }

  // ---------- images ----------

  async imageExists(ref: string): Promise<boolean> {
    return Boolean(await this.orUndefined(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect()))
  }

  /**
   * Pull an image, reporting summed layer progress. The engine reports failures as an `error`
   * event inside a 200 stream (followProgress then says "no error"): scan every event for it.
   */
  async pullImage(ref: string, onProgress: (p: {current: number; total: number; status: string}) => void, signal?: AbortSignal): Promise<void> {
    let stream: NodeJS.ReadableStream
    try {
      stream = (await this.docker.pull(ref, {abortSignal: signal} as never)) as NodeJS.ReadableStream
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError('Interrupted while pulling ' + ref + ': nothing was created.')
      throw this.pullError(ref, errorMessage(error), error)
    }
    const layers = new Map<string, {current: number; total: number}>()
    const events = await new Promise<Array<Record<string, any>>>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, output: Array<Record<string, any>>) => (err ? reject(err) : resolve(output)),
        (e: Record<string, any>) => {
          if (e.id && e.progressDetail?.total) layers.set(e.id, {current: e.progressDetail.current ?? 0, total: e.progressDetail.total})
          let current = 0
          let total = 0
          for (const l of layers.values()) {
            current += l.current
            total += l.total
          }
          onProgress({current, total, status: e.status ?? ''})
        },
      )
    }).catch((error) => {
      // Ctrl-C: the engine drops a pull whose client went away; nothing was tagged or created.
      if (signal?.aborted) throw new InterruptedError('Interrupted while pulling ' + ref + ': nothing was created.')
      throw this.pullError(ref, errorMessage(error), error)
    })
    const failed = events.find((e) => e.error || e.errorDetail)
    if (failed) throw this.pullError(ref, String(failed.error ?? failed.errorDetail?.message), undefined)
  }

  private pullError(ref: string, detail: string, cause: unknown): DezcError {
    const offline = /dial tcp|lookup .* no such host|i\/o timeout|connection refused|TLS handshake timeout|network is unreachable|Client\.Timeout/i.test(detail)
    const notFound = /not found|manifest unknown|repository does not exist|pull access denied/i.test(detail)
    return new DezcError({
      code: offline ? 'IMAGE_PULL_OFFLINE' : notFound ? 'IMAGE_NOT_FOUND' : 'IMAGE_PULL_FAILED',
      message: `Image ${ref} is not on the engine and could not be pulled: ${detail}`,
      suggestion: offline
        ? [`The engine cannot reach a registry. Load the image another way (docker load -i image.tar, or a registry mirror), or set the profile's image to one the engine has (docker images).`]
        : notFound
          ? [`Check the image name and tag (profiles.<name>.postgres.image / pgadmin.image), or log in with \`docker login\` if it is private.`]
          : [`Try \`docker pull ${ref}\` on the engine host to see the full error.`],
      exit: ExitCode.PREREQUISITE,
      cause,
    })
  }

  /**
   * Build an image from a tar build context (the classic builder, so old engines work too). Build
   * failures arrive as an `error` event inside a 200 stream: scan for it. `onLine` gets each step line.
   */
  async buildImage(context: NodeJS.ReadableStream, options: {tag: string; dockerfile: string; buildargs?: Record<string, string>; labels?: Record<string, string>; signal?: AbortSignal}, onLine: (line: string) => void): Promise<void> {
    const stream = (await this.call(`build image ${options.tag}`, () =>
      this.docker.buildImage(context as never, {t: options.tag, dockerfile: options.dockerfile, buildargs: options.buildargs, labels: options.labels, rm: true, forcerm: true, abortSignal: options.signal} as Dockerode.ImageBuildOptions),
    )) as NodeJS.ReadableStream
    const events = await new Promise<Array<Record<string, any>>>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, output: Array<Record<string, any>>) => (err ? reject(err) : resolve(output)), (e: Record<string, any>) => {
        const line = String(e.stream ?? e.status ?? '').trim()
        if (line) onLine(line)
      })
    }).catch((error) => {
      throw this.mapError(error, `build image ${options.tag}`)
    })
    const failed = events.find((e) => e.error || e.errorDetail)
    if (failed) {
      const detail = String(failed.error ?? failed.errorDetail?.message)
      const missingBase = /pull access denied|not found|manifest unknown|dial tcp|no such host/i.test(detail)
      throw new DezcError({
        code: 'IMAGE_BUILD_FAILED',
        message: `Building ${options.tag} failed: ${detail}`,
        suggestion: missingBase ? ['The base image is not on the engine and cannot be pulled: load it there (docker load / a registry mirror) or choose another base.'] : ['Run with --verbose to see every build step.'],
        exit: missingBase ? ExitCode.PREREQUISITE : ExitCode.FAILURE,
      })
    }
  }

  /** Wait until a container stops; resolves with its exit code. */
  async waitContainer(name: string): Promise<number> {
    const r = (await this.call(`wait for container ${name}`, () => this.docker.getContainer(name).wait())) as {StatusCode?: number}
    return r.StatusCode ?? -1
  }

  /** Send a signal to a running container (e.g. SIGINT to let the process inside clean up). */
  async signalContainer(name: string, signal: string): Promise<void> {
    await this.call(`signal container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).kill({signal})
      } catch (error) {
        const code = (error as {statusCode?: number}).statusCode
        if (code === 404 || code === 409) return // gone / not running
        throw error
      }
    })
  }

  // ---------- helpers ----------

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw this.mapError(error, what)
    }
  }

  private async orUndefined<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn()
    } catch (error) {
      if ((error as {statusCode?: number}).statusCode === 404) return undefined
      throw this.mapError(error, what)
    }
  }

  /** One place that turns transport and engine failures into errors that say what to do. */
  mapError(error: unknown, what: string): DezcError {
    if (error instanceof DezcError) return error
    const ep = this.endpoint
    const where = describeEndpoint(ep)
    const msg = errorMessage(error)
    const sys = systemErrorCode(error)
    const status = (error as {statusCode?: number}).statusCode
    if (error instanceof SshDialError) return error.toDezcError(ep)
    if ((error as Error)?.name === 'AbortError' || (error as Error)?.name === 'TimeoutError') {
      return new DezcError({code: 'DOCKER_TIMEOUT', message: `Timed out trying to ${what} at ${where}.`, suggestion: ep.remote ? 'Check that the engine host is up and reachable from here.' : 'Check that the Docker engine is running and responsive (`docker info`).', exit: ExitCode.PREREQUISITE, cause: error})
    }
    if (sys === 'ENOENT' && ep.socketPath) {
      return new DezcError({code: 'DOCKER_NOT_RUNNING', message: `Cannot ${what}: there is no Docker socket at ${ep.socketPath}; the engine is not installed or not running.`, suggestion: startDockerHints(), exit: ExitCode.PREREQUISITE, cause: error})
    }
    if (sys === 'ECONNREFUSED') {
      return new DezcError({code: 'DOCKER_NOT_RUNNING', message: `Cannot ${what}: the Docker engine at ${where} refused the connection (not running?).`, suggestion: ep.kind === 'tcp' ? `Check that dockerd listens on ${ep.host}:${ep.port} (dockerd --host tcp://...), or fix DOCKER_HOST.` : startDockerHints(), exit: ExitCode.PREREQUISITE, cause: error})
    }
    if (sys === 'EACCES' || sys === 'EPERM') {
      return new DezcError({code: 'DOCKER_PERMISSION_DENIED', message: `Cannot ${what}: permission denied on the Docker socket ${ep.socketPath ?? ''}.`, suggestion: ['Add yourself to the docker group: sudo usermod -aG docker $USER, then log out and in again (or run `newgrp docker`).', 'Or use rootless Docker / Docker Desktop.'], exit: ExitCode.PREREQUISITE, cause: error})
    }
    if (sys === 'ENOTFOUND' || sys === 'EAI_AGAIN') {
      return new DezcError({code: 'DOCKER_HOST_UNKNOWN', message: `Cannot ${what}: the host in ${where} cannot be resolved.`, suggestion: 'Check the hostname in DOCKER_HOST / the profile\'s docker.host.', exit: ExitCode.PREREQUISITE, cause: error})
    }
    if (sys === 'ETIMEDOUT' || sys === 'EHOSTUNREACH' || sys === 'ENETUNREACH') {
      return new DezcError({code: 'DOCKER_UNREACHABLE', message: `Cannot ${what}: ${where} is unreachable (${sys}).`, suggestion: 'Check that the engine host is on and on this network (VPN?), and that its Docker port is open.', exit: ExitCode.PREREQUISITE, cause: error})
    }
    if (sys === 'ECONNRESET' || sys === 'EPIPE' || /socket hang up/.test(msg)) {
      return new DezcError({code: 'DOCKER_CONNECTION_LOST', message: `Lost the connection to the Docker engine at ${where} while trying to ${what}.`, suggestion: 'Run the command again; if it persists, check the engine (`docker info`) and, for TLS endpoints, DOCKER_TLS_VERIFY / DOCKER_CERT_PATH.', exit: ExitCode.PREREQUISITE, cause: error})
    }
    const json = (error as {json?: {message?: string}}).json
    const detail = json?.message ?? msg.replace(/^\(HTTP code \d+\) [^-]*- /, '')
    return new DezcError({code: 'DOCKER_API_ERROR', message: `Docker could not ${what}${status ? ` (HTTP ${status})` : ''}: ${detail.trim()}`, suggestion: 'See the engine\'s message above; `docker info` on the engine host shows its state.', exit: ExitCode.FAILURE, cause: error})
  }
}

function startDockerHints(): string[] {
  if (process.platform === 'darwin') return ['Start Docker Desktop (or `colima start` / OrbStack), then run the command again.']
  let wsl = false
  try {
    wsl = /microsoft/i.test(fs.readFileSync('/proc/version', 'utf8'))
  } catch {}
  if (wsl) return ['Start Docker Desktop on Windows and enable WSL integration for this distro (Settings > Resources > WSL integration),', 'or install the engine inside WSL and run `sudo service docker start`.']
  return ['Install the engine if needed (e.g. `sudo apt-get install docker.io`), then start it: `sudo systemctl start docker`.', 'Using a remote engine? Set DOCKER_HOST=ssh://user@host or pass --host <profile>.']
}

function toSummary(c: Dockerode.ContainerInfo): ContainerSummary {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    labels: c.Labels ?? {},
    ports: (c.Ports ?? []).map((p) => ({privatePort: p.PrivatePort, publicPort: p.PublicPort, ip: p.IP})),
  }
}

/** Demultiplex a non-follow logs Buffer (8-byte frame headers) into text. */
export function demuxBuffer(buf: Buffer): string {
  const out: Buffer[] = []
  demuxFrames(buf, (_type, chunk) => out.push(chunk))
  return Buffer.concat(out).toString('utf8')
}

function demuxBufferTo(buf: Buffer, out: Writable, err: Writable): void {
  demuxFrames(buf, (type, chunk) => (type === 2 ? err : out).write(chunk))
}

function demuxFrames(buf: Buffer, onFrame: (type: number, chunk: Buffer) => void): void {
  let i = 0
  while (i + 8 <= buf.length) {
    const type = buf[i]
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) {
      onFrame(1, buf.subarray(i)) // not multiplexed (TTY container): pass through
      return
    }
    const len = buf.readUInt32BE(i + 4)
    onFrame(type, buf.subarray(i + 8, i + 8 + len))
    i += 8 + len
  }
}

/** A one-file ustar archive (what PUT /containers/{id}/archive takes). */
export function tarSingleFile(name: string, content: Buffer, mode: number): Buffer {
  const header = Buffer.alloc(512)
  const put = (s: string, off: number, len: number) => header.write(s.slice(0, len), off, len, 'ascii')
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0') + '\0'
  put(name, 0, 100)
  put(octal(mode & 0o7777, 8), 100, 8)
  put(octal(0, 8), 108, 8)
  put(octal(0, 8), 116, 8)
  put(octal(content.length, 12), 124, 12)
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12)
  header.fill(' ', 148, 156)
  put('0', 156, 1)
  put('ustar\0', 257, 6)
  put('00', 263, 2)
  let sum = 0
  for (const b of header) sum += b
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512)
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)])
}

// ---------- ssh:// transport ----------

class SshDialError extends Error {
  constructor(
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`ssh exited with ${exitCode}: ${stderr.trim()}`)
  }

  toDezcError(ep: DockerEndpoint): DezcError {
    const s = this.stderr
    const target = `${ep.ssh?.user ? `${ep.ssh.user}@` : ''}${ep.ssh?.host}`
    const base = {exit: ExitCode.PREREQUISITE, cause: this}
    if (/Permission denied \(|Too many authentication failures|no such identity|Host key verification failed/i.test(s)) {
      const hostKey = /Host key verification failed/i.test(s)
      return new DezcError({...base, code: hostKey ? 'SSH_HOST_KEY' : 'SSH_AUTH_FAILED', message: `SSH ${hostKey ? 'host key verification' : 'authentication'} to ${target} failed: ${s.trim().split('\n').pop()}`, suggestion: hostKey ? [`Connect once with \`ssh ${target}\` to check and accept the host key.`] : [`Check that \`ssh ${target} docker version\` works without a password: add your key with ssh-add, or copy it to the NAS with ssh-copy-id ${target}.`]})
    }
    if (/command not found|docker: not found/i.test(s)) {
      return new DezcError({...base, code: 'SSH_NO_DOCKER', message: `Connected to ${target} over SSH, but \`docker\` is not on the non-interactive PATH there.`, suggestion: [`On Synology, docker lives in /usr/local/bin: add it to PATH for non-interactive SSH (e.g. ~/.ssh/environment with PermitUserEnvironment), or create a symlink in /usr/bin.`, `Check with: ssh ${target} docker version`]})
    }
    if (/permission denied while trying to connect to the Docker daemon socket/i.test(s)) {
      return new DezcError({...base, code: 'DOCKER_PERMISSION_DENIED', message: `The SSH user on ${target} may not use the Docker socket.`, suggestion: [`Connect as a user that may use /var/run/docker.sock (on Synology: root, or give the user's group access to the socket).`]})
    }
    if (/Could not resolve hostname|Name or service not known/i.test(s)) {
      return new DezcError({...base, code: 'DOCKER_HOST_UNKNOWN', message: `Cannot resolve the SSH host in ${ep.url}.`, suggestion: ['Check the hostname (and ~/.ssh/config).']})
    }
    if (/Connection refused|Connection timed out|No route to host|Operation timed out/i.test(s)) {
      return new DezcError({...base, code: 'DOCKER_UNREACHABLE', message: `Cannot open an SSH connection to ${target}: ${s.trim().split('\n').pop()}`, suggestion: ['Check that the host is on and that SSH is enabled (Synology: Control Panel > Terminal & SNMP > Enable SSH).']})
    }
    return new DezcError({...base, code: 'SSH_FAILED', message: `SSH to ${target} failed: ${s.trim() || `exit code ${this.exitCode}`}`, suggestion: [`Check that \`ssh ${target} docker system dial-stdio\` works.`]})
  }
}

/** An http.Agent whose connections are `ssh HOST docker system dial-stdio` processes. */
class SshDialAgent extends http.Agent {
  private readonly children = new Set<import('node:child_process').ChildProcess>()
  private failure?: SshDialError

  constructor(private readonly ep: DockerEndpoint) {
    super({keepAlive: true, maxFreeSockets: 2})
  }

  createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const ssh = this.ep.ssh!
    const args = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', '-T']
    if (ssh.port) args.push('-p', String(ssh.port))
    if (ssh.user) args.push('-l', ssh.user)
    args.push('--', ssh.host, 'docker', 'system', 'dial-stdio')
    const child = spawn(process.env.DEZC_SSH_COMMAND || 'ssh', args, {stdio: ['pipe', 'pipe', 'pipe']})
    this.children.add(child)
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d))
    const duplex = Duplex.from({readable: child.stdout!, writable: child.stdin!}) as Duplex & {setTimeout?: unknown; setNoDelay?: unknown; setKeepAlive?: unknown; ref?: unknown; unref?: unknown}
    // A free keep-alive connection that the agent closes is destroyed with an AbortError and no
    // request listening: failures that matter reach the request through its own socket listener.
    duplex.on('error', () => {})
    // http.Agent treats connections as sockets.
    duplex.setTimeout = () => duplex
    duplex.setNoDelay = () => duplex
    duplex.setKeepAlive = () => duplex
    duplex.ref = () => duplex
    duplex.unref = () => duplex
    child.on('error', (error) => duplex.destroy(systemErrorCode(error) === 'ENOENT' ? new SshDialError('ssh: command not found on this machine (install OpenSSH client)', null) : error))
    child.on('exit', (code) => {
      this.children.delete(child)
      if (code !== 0 && code !== null) {
        this.failure = new SshDialError(stderr, code)
        duplex.destroy(this.failure)
      }
    })
    duplex.on('close', () => {
      if (child.exitCode === null) child.kill()
    })
    void callback // the Agent calls back with the returned socket itself
    return duplex
  }

  /** The last ssh failure, once every ssh process has exited (or after a short grace period). */
  async lastFailure(): Promise<SshDialError | undefined> {
    const deadline = Date.now() + 1000
    while (this.children.size > 0 && !this.failure && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    return this.failure
  }

  destroy(): void {
    super.destroy()
    for (const c of this.children) c.kill()
    this.children.clear()
  }
}
