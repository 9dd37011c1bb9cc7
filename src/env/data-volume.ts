/**
 * The Postgres data of a stack, observed read-only: which volume holds it (the one `env upgrade`
 * made, once there is one) and which PostgreSQL major wrote it — from dezc's volume label, or,
 * for a volume or folder made another way (the course's compose file, `docker run`), from the
 * PG_VERSION file read by a throwaway container.
 */
import type {DockerClient} from '../docker/client.js'
import type {Mount, Stack} from './settings.js'
import {baseLabels, LABEL} from './spec.js'

/** The volume `env upgrade --to N` restores into: the stack's volume name plus -pgN. */
export function upgradedVolumeName(base: string, major: number): string {
  return `${base}-pg${major}`
}

/**
 * The stack with the Postgres volume it really uses: after `env upgrade`, the newest volume
 * restored from the profile's one (so `env up` never silently goes back to the data from before).
 */
export async function withActiveDataVolume(client: DockerClient, stack: Stack): Promise<Stack> {
  const m = stack.postgres.mount
  if (m.type !== 'volume') return stack
  const upgraded = await client.listVolumes({
    [LABEL.managed]: 'true',
    [LABEL.stack]: stack.label,
    [LABEL.upgradedFrom]: m.name,
  })
  const newest = upgraded
    .filter((v) => v.name === upgradedVolumeName(m.name, Number(v.labels[LABEL.pgMajor])))
    .sort((a, b) => Number(b.labels[LABEL.pgMajor]) - Number(a.labels[LABEL.pgMajor]))[0]
  if (!newest) return stack
  return {...stack, postgres: {...stack.postgres, mount: {type: 'volume', name: newest.name}}}
}

/** Run a short command in a throwaway container; its output and exit code. Always removed. */
export async function runThrowaway(
  client: DockerClient,
  name: string,
  body: Record<string, unknown>,
): Promise<{exitCode: number; output: string}> {
  await client.removeContainer(name, true).catch(() => {})
  try {
    await client.createContainer(name, body)
    await client.startContainer(name)
    const exitCode = await client.waitContainer(name)
    return {exitCode, output: await client.logsTail(name, 20)}
  } finally {
    await client.removeContainer(name, true).catch(() => {})
  }
}

/**
 * The PostgreSQL major whose data is in this mount: dezc's label on its volume, else PG_VERSION
 * (at the root for the <= 17 layout, in data/ for a 17-style cluster under an 18-style mount, in
 * <major>/docker/ for 18's layout). Undefined for an empty volume or folder.
 */
export async function dataMajor(client: DockerClient, stack: Stack, mount: Mount): Promise<number | undefined> {
  if (mount.type === 'volume') {
    const v = await client.inspectVolume(mount.name)
    if (!v) return undefined
    if (v.labels[LABEL.pgMajor]) return Number(v.labels[LABEL.pgMajor])
  }
  const source = mount.type === 'volume' ? mount.name : mount.path
  const {output} = await runThrowaway(client, `dezc-pgversion-${stack.label}-${process.pid}`, {
    Image: stack.postgres.image,
    Entrypoint: ['sh', '-c', 'cat /d/PG_VERSION /d/data/PG_VERSION /d/*/docker/PG_VERSION 2>/dev/null | head -n 1'],
    Cmd: [],
    User: '0',
    Labels: baseLabels(stack),
    HostConfig: {Mounts: [{Type: mount.type, Source: source, Target: '/d', ReadOnly: true}]},
  })
  const m = /^\s*(\d+)/.exec(output)
  return m ? Number(m[1]) : undefined
}
