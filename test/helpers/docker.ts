/** Real-engine test helpers: free ports, unique projects, and cleanup by dezc's labels. */
import net from 'node:net'
import Docker from 'dockerode'

export const docker = new Docker({socketPath: '/var/run/docker.sock'})

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

export function uniqueStack(prefix = 't'): string {
  return `${prefix}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`
}

/** Remove everything dezc created for a project (containers, networks, volumes). */
export async function removeStack(project: string): Promise<void> {
  const label = `dev.dezc.project=${project}`
  const containers = await docker.listContainers({all: true, filters: {label: [label]}})
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({force: true})
        .catch(() => {}),
    ),
  )
  const networks = await docker.listNetworks({filters: {label: [label]}})
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {}),
    ),
  )
  const {Volumes} = await docker.listVolumes({filters: {label: [label]}})
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => {}),
    ),
  )
}

export async function engineAvailable(): Promise<boolean> {
  try {
    await docker.ping()
    return true
  } catch {
    return false
  }
}

/**
 * A Docker CLI context as `docker context create NAME --docker host=HOST` writes it:
 * $DOCKER_CONFIG/contexts/meta/<sha256 of NAME>/meta.json. Returns the folder it is in.
 */
export async function writeDockerContext(dockerConfig: string, name: string, host: string): Promise<string> {
  const {createHash} = await import('node:crypto')
  const fs = await import('node:fs/promises')
  const path = await import('node:path')
  const dir = path.join(dockerConfig, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'))
  await fs.mkdir(dir, {recursive: true})
  await fs.writeFile(
    path.join(dir, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: {Description: 'dezc test'},
      Endpoints: {docker: {Host: host, SkipTLSVerify: false}},
    }),
  )
  return dir
}

/**
 * This machine's address on the engine's default bridge network (its gateway: this machine as the
 * containers and the network see it, not 127.0.0.1). dockerd 20.10 leaves Gateway out of the
 * default bridge's IPAM; then it is the subnet's first address, which is where dockerd puts it.
 */
export async function bridgeGateway(): Promise<string> {
  const info = await docker.getNetwork('bridge').inspect()
  const configs: Array<{Gateway?: string; Subnet?: string}> = info.IPAM?.Config ?? []
  const given = configs.map((c) => c.Gateway).find((g) => g && !g.includes(':'))
  if (given) return given
  const v4 = configs.map((c) => c.Subnet?.split('/')[0]).find((s) => s && !s.includes(':'))
  if (!v4) throw new Error(`the bridge network has no IPv4 subnet (${JSON.stringify(configs)})`)
  const parts = v4.split('.').map(Number)
  parts[3] += 1
  return parts.join('.')
}
