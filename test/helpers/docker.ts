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
