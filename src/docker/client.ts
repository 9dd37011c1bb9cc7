/**
 * The only module that talks to dockerode. It connects to a resolved endpoint (unix, tcp, ssh via
 * ssh-transport.ts), turns failures into DezcErrors with the fix (errors.ts), and offers the handful
 * of operations dezc needs, each with the engine's quirks handled once (see
 * ../shared/notes/docker-engine-api.md): 404 as "absent", 409 on networks as "exists", pull errors
 * hidden inside 200 streams, multiplexed logs, files uploaded as tar archives.
 */
import fs from 'node:fs'
import {PassThrough, type Readable, type Writable} from 'node:stream'
import type Dockerode from 'dockerode'
import {DezcError, InterruptedError, errorMessage} from '../core/errors.js'
import {deferUnusedDockerodeParts} from './defer-dockerode.js'
import type {DockerEndpoint} from './endpoint.js'
import {buildError, buildRequestError, mapDockerError, pullError, statusCode} from './errors.js'
import {demuxBuffer, demuxBufferTo} from './logs.js'
import {SshDialAgent} from './ssh-transport.js'

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
    // DockerOptions lacks `agent`, which dockerode hands to docker-modem (its ConstructorOptions has it).
    let options: Dockerode.DockerOptions & {agent?: SshDialAgent}
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
        options = {host: 'docker-over-ssh', port: 80, protocol: 'http', agent}
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
      // @types/dockerode 4.x declares version() without the options dockerode 5 takes.
      const version = this.docker.version as (opts: {abortSignal: AbortSignal}) => Promise<Dockerode.DockerVersion>
      const v = await version.call(this.docker, {abortSignal: AbortSignal.timeout(timeoutMs)})
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

  /** Containers attached to a network, stopped ones included (a network's own list has only running ones). */
  async listContainersOnNetwork(network: string): Promise<ContainerSummary[]> {
    const list = await this.call('list containers', () =>
      this.docker.listContainers({all: true, filters: {network: [network]}}),
    )
    return list.map(toSummary)
  }

  async listAllContainers(): Promise<ContainerSummary[]> {
    return (await this.call('list containers', () => this.docker.listContainers({all: true}))).map(toSummary)
  }

  async inspectContainer(name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
    return this.orUndefined(`inspect container ${name}`, () => this.docker.getContainer(name).inspect())
  }

  async createContainer(name: string, body: Record<string, unknown>): Promise<string> {
    // Bodies are plain API JSON (env/spec.ts builds them as records, to hash them).
    const c = await this.call(`create container ${name}`, () => this.docker.createContainer({name, ...body} as Dockerode.ContainerCreateOptions))
    return c.id
  }

  /** Upload one file into a (created, not yet started) container. */
  async putFile(container: string, filePath: string, content: string, mode = 0o644): Promise<void> {
    const dir = filePath.slice(0, filePath.lastIndexOf('/')) || '/'
    const name = filePath.slice(filePath.lastIndexOf('/') + 1)
    const archive = await tarSingleFile(name, Buffer.from(content), mode)
    await this.call(`copy ${filePath} into ${container}`, () => this.docker.getContainer(container).putArchive(archive, {path: dir}))
  }

  async startContainer(name: string): Promise<void> {
    await this.call(`start container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).start()
      } catch (error) {
        if (statusCode(error) === 304) return // already started
        throw error
      }
    })
  }

  async stopContainer(name: string, timeoutSeconds = 10): Promise<void> {
    await this.call(`stop container ${name}`, async () => {
      try {
        await this.docker.getContainer(name).stop({t: timeoutSeconds})
      } catch (error) {
        const code = statusCode(error)
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
        if (statusCode(error) === 404) return false
        throw error
      }
    })
  }

  /** Last lines of a container's logs, demultiplexed, as text. */
  async logsTail(name: string, tail = 30): Promise<string> {
    try {
      return demuxBuffer(await this.docker.getContainer(name).logs({stdout: true, stderr: true, tail, follow: false}))
    } catch (error) {
      return `(logs unavailable: ${errorMessage(error)})`
    }
  }

  /** Stream logs into `out` line by line; resolves when the stream ends (or on abort with follow). */
  async streamLogs(name: string, options: {follow: boolean; tail?: number; since?: number; timestamps?: boolean; signal?: AbortSignal}, out: Writable, err: Writable): Promise<void> {
    const c = this.docker.getContainer(name)
    // No tail: the engine's default, all lines.
    const query = {stdout: true, stderr: true, since: options.since, timestamps: options.timestamps, ...(options.tail === undefined ? {} : {tail: options.tail})}
    if (!options.follow) {
      demuxBufferTo(await this.call(`read logs of ${name}`, () => c.logs({...query, follow: false})), out, err)
      return
    }
    // Typed as a bare ReadableStream; the modem returns the HTTP response, a Readable we can destroy.
    const stream = (await this.call(`follow logs of ${name}`, () => c.logs({...query, follow: true}))) as Readable
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
    const stream = await this.call(`exec in ${container}`, () => exec.start({hijack: true, stdin: true, Tty: options.tty}))
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
    const stream = await this.call(`exec in ${container}`, () => exec.start({hijack: true, stdin: false}))
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
    if (existing?.Name === name) return 'exists'
    try {
      await this.docker.createNetwork({Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels})
      return 'created'
    } catch (error) {
      if (statusCode(error) === 409) return 'exists'
      throw this.mapError(error, `create network ${name}`)
    }
  }

  async removeNetwork(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).remove()
      return true
    } catch (error) {
      const code = statusCode(error)
      if (code === 404) return false
      throw this.mapError(error, `remove network ${name}`)
    }
  }

  /** A network's labels and the names of the containers on it, or undefined when it does not exist. */
  async inspectNetwork(name: string): Promise<{labels: Record<string, string>; containers: string[]} | undefined> {
    const n = await this.orUndefined(`inspect network ${name}`, () => this.docker.getNetwork(name).inspect())
    if (n?.Name !== name) return undefined
    const containers = Object.values((n.Containers ?? {}) as Record<string, {Name?: string}>).map((c) => c.Name ?? '')
    return {labels: (n.Labels ?? {}) as Record<string, string>, containers: containers.filter(Boolean)}
  }

  async networkExists(name: string): Promise<boolean> {
    const n = await this.orUndefined(`inspect network ${name}`, () => this.docker.getNetwork(name).inspect())
    return n?.Name === name
  }

  // ---------- volumes ----------

  async inspectVolume(name: string): Promise<{name: string; labels: Record<string, string>; createdAt?: string} | undefined> {
    const v = await this.orUndefined(`inspect volume ${name}`, () => this.docker.getVolume(name).inspect())
    // CreatedAt is missing from @types/dockerode 4's VolumeInspectInfo.
    return v ? {name: v.Name, labels: v.Labels ?? {}, createdAt: (v as {CreatedAt?: string}).CreatedAt} : undefined
  }

  /** Volumes carrying every one of these labels. */
  async listVolumes(labels: Record<string, string>): Promise<Array<{name: string; labels: Record<string, string>}>> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`)
    const r = await this.call('list volumes', () => this.docker.listVolumes({filters: {label}}))
    return (r.Volumes ?? []).map((v) => ({name: v.Name, labels: v.Labels ?? {}}))
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call(`create volume ${name}`, () => this.docker.createVolume({Name: name, Labels: labels}))
  }

  async removeVolume(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).remove()
      return true
    } catch (error) {
      if (statusCode(error) === 404) return false
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
      stream = await this.docker.pull(ref, {abortSignal: signal})
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError('Interrupted while pulling ' + ref + ': nothing was created.')
      throw pullError(ref, errorMessage(error), error)
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
      throw pullError(ref, errorMessage(error), error)
    })
    const failed = events.find((e) => e.error || e.errorDetail)
    if (failed) throw pullError(ref, String(failed.error ?? failed.errorDetail?.message), undefined)
  }


  /**
   * Build an image from a tar build context (the classic builder, so old engines work too). Build
   * failures arrive as an `error` event inside a 200 stream: scan for it. `onLine` gets each step line.
   */
  async buildImage(context: NodeJS.ReadableStream, options: {tag: string; dockerfile: string; buildargs?: Record<string, string>; labels?: Record<string, string>; signal?: AbortSignal}, onLine: (line: string) => void): Promise<void> {
    const stream = await this.docker.buildImage(context, {t: options.tag, dockerfile: options.dockerfile, buildargs: options.buildargs, labels: options.labels, rm: true, forcerm: true, abortSignal: options.signal}).catch((error) => {
      throw buildRequestError(options.tag, error) ?? this.mapError(error, `build image ${options.tag}`)
    })
    const events = await new Promise<Array<Record<string, any>>>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, output: Array<Record<string, any>>) => (err ? reject(err) : resolve(output)), (e: Record<string, any>) => {
        const line = String(e.stream ?? e.status ?? '').trim()
        if (line) onLine(line)
      })
    }).catch((error) => {
      throw this.mapError(error, `build image ${options.tag}`)
    })
    const failed = events.find((e) => e.error || e.errorDetail)
    if (failed) throw buildError(options.tag, String(failed.error ?? failed.errorDetail?.message))
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
        const code = statusCode(error)
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
      if (statusCode(error) === 404) return undefined
      throw this.mapError(error, what)
    }
  }

  /** Every failure of a request to this engine, as an error that says what to do. */
  mapError(error: unknown, what: string): DezcError {
    return mapDockerError(error, what, this.endpoint)
  }
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

/** A one-file tar archive (what PUT /containers/{id}/archive takes), built in memory. */
export async function tarSingleFile(name: string, content: Buffer, mode: number): Promise<Buffer> {
  const {Header, Pack, ReadEntry} = await import('tar')
  const entry = new ReadEntry(new Header({path: name, type: 'File', mode, size: content.length, uid: 0, gid: 0, mtime: new Date()}))
  entry.end(content)
  const pack = new Pack()
  pack.end(entry)
  return pack.concat()
}
