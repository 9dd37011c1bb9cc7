/**
 * Turning engine and transport failures into DezcErrors that say what to do: one mapping for
 * every request, plus the failures that arrive inside 200 streams (pulls, builds) and ssh's own.
 */
import fs from 'node:fs'
import {DezcError, ExitCode, errorMessage, systemErrorCode} from '../core/errors.js'
import {describeEndpoint, type DockerEndpoint} from './endpoint.js'
import {SshDialError} from './ssh-transport.js'

/** One place that turns transport and engine failures into errors that say what to do. */
export function mapDockerError(error: unknown, what: string, ep: DockerEndpoint): DezcError {
  if (error instanceof DezcError) return error
  const where = describeEndpoint(ep)
  const msg = errorMessage(error)
  const sys = systemErrorCode(error)
  const status = statusCode(error)
  if (error instanceof SshDialError) return sshFailureError(error, ep)
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
  return new DezcError({code: 'DOCKER_API_ERROR', message: `Docker could not ${what}${status ? ` (HTTP ${status})` : ''}: ${engineMessage(error)}`, suggestion: 'See the engine\'s message above; `docker info` on the engine host shows its state.', exit: ExitCode.FAILURE, cause: error})
}

/** The engine's HTTP status of a failed request (dockerode's errors carry it), if any. */
export function statusCode(error: unknown): number | undefined {
  return (error as {statusCode?: number} | undefined)?.statusCode
}

/** The engine's own message in a failed request, without dockerode's "(HTTP code N) ... -" prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as {json?: {message?: string}} | undefined)?.json
  return (json?.message ?? errorMessage(error).replace(/^\(HTTP code \d+\) [^-]*- /, '')).trim()
}

/** A failed pull, from the engine's message (thrown or inside the 200 stream). */
export function pullError(ref: string, detail: string, cause: unknown): DezcError {
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

/** A step's own command failed: whatever it printed is not about images or the context. */
const STEP_FAILED = /returned a non-zero code|did not complete successfully/i
/** COPY/ADD of a path the context lacks (classic builder; BuildKit), or no Dockerfile in it. */
const CONTEXT_MISSING = /(COPY|ADD) failed|file not found in build context|failed to compute cache key|failed to calculate checksum|Cannot locate specified Dockerfile/i
/** The FROM image is not on the engine and cannot be pulled (no such image, no access, no registry). */
const BASE_UNAVAILABLE = /pull access denied|repository does not exist|manifest unknown|manifest for \S+ not found|failed to resolve source metadata|no such host|dial tcp|i\/o timeout|TLS handshake timeout|network is unreachable/i

/**
 * A failed build, quoting the engine's message: the `error` event of the build stream, or a
 * build refused up front (HTTP 500, e.g. no Dockerfile in the context), else undefined.
 */
export function buildRequestError(tag: string, error: unknown): DezcError | undefined {
  const detail = engineMessage(error)
  return statusCode(error) === 500 && CONTEXT_MISSING.test(detail) ? buildError(tag, detail) : undefined
}

/** A failed build (the `error` event of the build stream), quoting the engine's message. */
export function buildError(tag: string, detail: string): DezcError {
  const message = `Building ${tag} failed: ${detail}`
  const stepFailed = STEP_FAILED.test(detail)
  if (!stepFailed && CONTEXT_MISSING.test(detail)) {
    // dezc sends its own installed files as the context: a missing one means a broken dezc package.
    return new DezcError({
      code: 'IMAGE_BUILD_CONTEXT_MISSING',
      message,
      suggestion: ['A file the Dockerfile needs is missing from the build context dezc sent (its own installed files): this dezc installation is incomplete.', 'Reinstall dezc, or run `npm run build` in a dezc checkout; if that does not help, report it as a dezc bug with this message.'],
      exit: ExitCode.FAILURE,
    })
  }
  const missingBase = !stepFailed && BASE_UNAVAILABLE.test(detail)
  return new DezcError({
    code: 'IMAGE_BUILD_FAILED',
    message,
    suggestion: missingBase ? ['The base image is not on the engine and cannot be pulled: load it there (docker load / a registry mirror) or choose another base.'] : ['Run with --verbose to see every build step.'],
    exit: missingBase ? ExitCode.PREREQUISITE : ExitCode.FAILURE,
  })
}

/** What an `ssh ... docker system dial-stdio` failure means, from its stderr. */
export function sshFailureError(e: SshDialError, ep: DockerEndpoint): DezcError {
  const s = e.stderr
  const target = `${ep.ssh?.user ? `${ep.ssh.user}@` : ''}${ep.ssh?.host}`
  const base = {exit: ExitCode.PREREQUISITE, cause: e}
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
  return new DezcError({...base, code: 'SSH_FAILED', message: `SSH to ${target} failed: ${s.trim() || `exit code ${e.exitCode}`}`, suggestion: [`Check that \`ssh ${target} docker system dial-stdio\` works.`]})
}

export function startDockerHints(): string[] {
  if (process.platform === 'darwin') return ['Start Docker Desktop (or `colima start` / OrbStack), then run the command again.']
  let wsl = false
  try {
    wsl = /microsoft/i.test(fs.readFileSync('/proc/version', 'utf8'))
  } catch {}
  if (wsl) return ['Start Docker Desktop on Windows and enable WSL integration for this distro (Settings > Resources > WSL integration),', 'or install the engine inside WSL and run `sudo service docker start`.']
  return ['Install the engine if needed (e.g. `sudo apt-get install docker.io`), then start it: `sudo systemctl start docker`.', 'Using a remote engine? Set DOCKER_HOST=ssh://user@host or pass --host <profile>.']
}
