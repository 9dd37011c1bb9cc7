/**
 * The ssh:// transport: each connection is an `ssh HOST docker system dial-stdio` process instead
 * of dockerode's ssh2, so ~/.ssh/config, known_hosts and keys apply (see sshFailureError in
 * errors.ts for what its failures mean).
 */
import {spawn, type ChildProcess} from 'node:child_process'
import http from 'node:http'
import {Duplex} from 'node:stream'
import {systemErrorCode} from '../core/errors.js'
import type {DockerEndpoint} from './endpoint.js'
import {sshCommand} from '../core/test-knobs.js'

export class SshDialError extends Error {
  constructor(
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`ssh exited with ${exitCode}: ${stderr.trim()}`)
  }
}

/** An http.Agent whose connections are `ssh HOST docker system dial-stdio` processes. */
export class SshDialAgent extends http.Agent {
  private readonly children = new Set<ChildProcess>()
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
    const child = spawn(sshCommand(), args, {stdio: ['pipe', 'pipe', 'pipe']})
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
