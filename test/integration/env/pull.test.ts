/**
 * A first `env up` on an engine that lacks the images pulls them, for real: a CNCF distribution
 * registry on loopback (scripts/ensure-registry.sh) is the engine's registry mirror, as a mirror of
 * Docker Hub would be. Each test pushes its own uniquely tagged image there and removes it locally,
 * so the pull is never served from the engine's own cache.
 */
import net from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {docker, freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {configDir} from '../../helpers/tmp.js'

const REGISTRY = process.env.DEZC_TEST_REGISTRY ?? '127.0.0.1:5055'
const projects: string[] = []
const pushed: string[] = []

async function pushOnly(source: string, name: string): Promise<void> {
  const [repo, tag] = name.split(':')
  const remote = `${REGISTRY}/${repo}`
  await docker.getImage(source).tag({repo: remote, tag})
  const stream = await docker.getImage(`${remote}:${tag}`).push({tag})
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{error?: string}>) =>
      err ? reject(err) : out.find((o) => o.error) ? reject(new Error(out.find((o) => o.error)!.error)) : resolve(),
    ),
  )
  await docker.getImage(`${remote}:${tag}`).remove()
  pushed.push(name)
}

const postgresImage = (image: string) =>
  configDir(`profiles:\n  local:\n    postgres: {image: ${image}}\n`, 'dezc-pull-')

beforeAll(async () => {
  const info = (await docker.info()) as {RegistryConfig?: {Mirrors?: string[]}}
  const mirrors = info.RegistryConfig?.Mirrors ?? []
  if (!mirrors.some((m) => m.includes(REGISTRY)))
    throw new Error(
      `The engine has no registry mirror ${REGISTRY} (it has ${JSON.stringify(mirrors)}): start it with scripts/ensure-docker.sh (npm test does).`,
    )
  const r = await fetch(`http://${REGISTRY}/v2/`).catch((e: Error) => e)
  if (r instanceof Error || !r.ok)
    throw new Error(`The test registry does not answer on ${REGISTRY}: run scripts/ensure-registry.sh (npm test does).`)
})

afterAll(async () => {
  for (const p of projects) await removeStack(p)
  for (const name of pushed)
    await docker
      .getImage(name)
      .remove({force: true})
      .catch(() => {})
})

describe('env up pulls what the engine lacks, through a real registry', () => {
  it('first run pulls the image with progress and comes up healthy', async () => {
    const tag = `13-${Math.random().toString(36).slice(2, 8)}`
    const image = `dezc-pulltest/postgres:${tag}`
    await pushOnly('postgres:13', image)
    expect(
      await docker
        .getImage(image)
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined()
    const p = uniqueStack('pull')
    projects.push(p)
    const r = await runCli(['env', 'up', '--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin'], {
      cwd: postgresImage(image),
    })
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stderr).toContain(`Pulling ${image}`)
    expect((await docker.getImage(image).inspect()).RepoTags).toContain(image)
    // (pgAdmin was left out of this stack, so status reports it missing: only Postgres is checked.)
    const status = await runCli(['env', 'status', '--stack', p, '--json'], {cwd: postgresImage(image)})
    expect(status.json().services[0]).toMatchObject({service: 'postgres', image, ok: true})
  })

  it('a tag the registry does not have is a clear error naming image and tag; nothing is created', async () => {
    const image = `dezc-pulltest/postgres:13-absent${Math.random().toString(36).slice(2, 6)}`
    const p = uniqueStack('nopull')
    projects.push(p)
    const r = await runCli(
      ['env', 'up', '--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin', '--json'],
      {cwd: postgresImage(image)},
    )
    expect(r.code, r.stdout + r.stderr).not.toBe(0)
    const e = r.json().error
    expect(e.message).toContain(image)
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(await docker.listNetworks({filters: {name: [`${p}-pg-network`]}})).toEqual([])
    expect((await docker.listVolumes({filters: {label: [`dev.dezc.project=${p}`]}})).Volumes ?? []).toEqual([])
  })

  it('a registry that is down is a clear error naming it; nothing is created', async () => {
    const closed = await freePort()
    const image = `127.0.0.1:${closed}/postgres:13`
    const p = uniqueStack('regdown')
    projects.push(p)
    const r = await runCli(
      ['env', 'up', '--stack', p, '--pg-port', String(await freePort()), '--no-pgadmin', '--json'],
      {cwd: postgresImage(image)},
    )
    expect(r.code, r.stdout + r.stderr).not.toBe(0)
    const e = r.json().error
    expect(e.message).toContain(`127.0.0.1:${closed}`)
    expect(await docker.listNetworks({filters: {name: [`${p}-pg-network`]}})).toEqual([])
  })

  it('Ctrl-C during a pull (a registry at home-link speed) exits 130 and leaves nothing half-made', async () => {
    const tag = `9-${Math.random().toString(36).slice(2, 8)}`
    const repo = 'dezc-pulltest/pgadmin4'
    // An image with a 40 MB layer this engine has never seen (random bytes), so the pull really transfers it.
    const maker = await docker.createContainer({
      Image: 'dezc-test/base:bookworm',
      Cmd: ['sh', '-c', 'head -c 40000000 /dev/urandom > /blob'],
    })
    await maker.start()
    await maker.wait()
    const local = `dezc-pulltest-local/pgadmin4:${tag}`
    await maker.commit({repo: local.split(':')[0], tag})
    await maker.remove()
    await pushOnly(local, `${repo}:${tag}`)
    await docker.getImage(local).remove()
    // A TCP proxy in front of the registry that paces its answers to ~4 MB/s.
    const proxy = net.createServer((client) => {
      const [host, port] = REGISTRY.split(':')
      const upstream = net.connect(Number(port), host)
      client.pipe(upstream)
      upstream.on('data', (chunk: Buffer) => {
        upstream.pause()
        if (!client.write(chunk)) client.once('drain', () => setTimeout(() => upstream.resume(), chunk.length / 4000))
        else setTimeout(() => upstream.resume(), chunk.length / 4000)
      })
      const end = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('error', end).on('close', end)
      upstream.on('error', end).on('close', end)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const image = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}/${repo}:${tag}`
    const p = uniqueStack('pullint')
    projects.push(p)
    const dir = configDir(`profiles:\n  local:\n    pgadmin: {image: "${image}"}\n`, 'dezc-pullint-')
    try {
      let sent = false
      const r = await runCli(
        ['env', 'up', '--stack', p, '--pg-port', String(await freePort()), '--pgadmin-port', String(await freePort())],
        {
          cwd: dir,
          timeoutMs: 120_000,
          onSpawn: (child) =>
            child.stderr!.on('data', (d: Buffer) => {
              if (!sent && d.toString().includes(`Pulling ${image}`)) {
                sent = true
                setTimeout(() => child.kill('SIGINT'), 1000)
              }
            }),
        },
      )
      expect(sent, r.stderr).toBe(true)
      expect(r.code, r.stdout + r.stderr).toBe(130)
      expect(r.stderr).toMatch(/\[INTERRUPTED\]/)
      expect(await docker.listContainers({all: true, filters: {label: [`dev.dezc.project=${p}`]}})).toEqual([])
      expect(await docker.listNetworks({filters: {name: [`${p}-pg-network`]}})).toEqual([])
      expect((await docker.listVolumes({filters: {label: [`dev.dezc.project=${p}`]}})).Volumes ?? []).toEqual([])
      expect(
        await docker
          .getImage(image)
          .inspect()
          .catch(() => undefined),
      ).toBeUndefined()
    } finally {
      await new Promise((resolve) => proxy.close(resolve))
    }
  })
})
