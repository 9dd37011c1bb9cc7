/**
 * `env upgrade --to N`: move a stack's Postgres data to another major the way PostgreSQL
 * supports it — a dump from the old server, restored into a new server of the new major on a new
 * volume, checked by counting the rows of every table on both sides — then switch the stack to it.
 *
 * The old volume is only read; it is kept (and `env up` with the old image still works on it)
 * until `--prune-old`. Anything that fails or is interrupted before the switch removes what the
 * upgrade made (its two temporary containers and the new volume), so the old stack is as it was.
 */
import {DezcError, ExitCode, InterruptedError} from '../core/errors.js'
import {sleep} from '../core/sleep.js'
import type {Ui} from '../core/ui.js'
import type {DockerClient} from '../docker/client.js'
import {requireStoredPassword} from './database.js'
import {dataMajor, upgradedVolumeName, withActiveDataVolume} from './data-volume.js'
import {connectStack, containerName, findServiceContainer} from './engine.js'
import {stackArgs, type Stack} from './settings.js'
import {baseLabels, LABEL, postgresDataTarget, postgresMajor} from './spec.js'
import {credentialsFingerprint, ensureImages, envUp} from './up.js'

export interface UpgradeTable {
  database: string
  table: string
  rows: number
}

export interface EnvUpgradeResult {
  profile: string
  stack: string | null
  action: 'upgraded' | 'unchanged'
  from: {major: number; volume: string}
  to: {major: number; volume: string; image: string}
  databases: string[]
  /** Row counts per table, equal on the old and the new server (checked). */
  tables: UpgradeTable[]
  /** The volume the data came from: kept until --prune-old. */
  oldVolume: {name: string; action: 'kept' | 'removed'} | null
  seconds: number
}

export interface UpgradeOptions {
  to: number
  pruneOld: boolean
  ui: Ui
  signal: AbortSignal
}

function notPossible(message: string, suggestion: string | string[]): DezcError {
  return new DezcError({code: 'UPGRADE_NOT_POSSIBLE', message, suggestion, exit: ExitCode.USAGE})
}

/** The image of the target major: the profile's own when it is of that major, else the official postgres:N. */
export function targetImage(stack: Stack, to: number): string {
  return postgresMajor(stack.postgres.image) === to ? stack.postgres.image : `postgres:${to}`
}

export async function envUpgrade(stack: Stack, o: UpgradeOptions): Promise<EnvUpgradeResult> {
  const t0 = performance.now()
  const base = stack.postgres.mount
  if (base.type !== 'volume')
    throw notPossible(
      `Profile "${stack.profile}" keeps Postgres in the folder ${base.path}; dezc env upgrade works on named volumes.`,
      [
        'Dump and restore by hand: dezc env psql, pg_dumpall > dump.sql; then start the new image on an empty folder and psql < dump.sql.',
      ],
    )
  if (!Number.isInteger(o.to) || o.to < 9)
    throw new DezcError({
      code: 'INVALID_FLAG',
      message: `--to must be a PostgreSQL major version (got ${o.to}).`,
      suggestion: 'For example --to 18.',
      exit: ExitCode.USAGE,
    })
  const password = requireStoredPassword(stack)
  const image = targetImage(stack, o.to)
  const engine = await connectStack(stack)
  const {client} = engine
  try {
    const active = await withActiveDataVolume(client, stack)
    const volume = (active.postgres.mount as {name: string}).name
    const labels = (await client.inspectVolume(volume))?.labels
    if (!labels)
      throw notPossible(`The stack has no Postgres data volume (${volume}) to upgrade.`, [
        `Start it on PostgreSQL ${o.to} directly: dezc env up${stackArgs(stack)}`,
      ])
    const running = await findServiceContainer(client, stack, 'postgres')
    const fromMajor = await dataMajor(
      client,
      {...active, postgres: {...active.postgres, image: running?.Config?.Image ?? image}},
      active.postgres.mount,
    )
    if (fromMajor === undefined)
      throw notPossible(`Volume ${volume} holds no PostgreSQL data.`, `Start the stack: dezc env up${stackArgs(stack)}`)
    const result = (action: EnvUpgradeResult['action'], extra: Partial<EnvUpgradeResult> = {}): EnvUpgradeResult => ({
      profile: stack.profile,
      stack: stack.name ?? null,
      action,
      from: {major: fromMajor, volume},
      to: {major: o.to, volume, image},
      databases: [],
      tables: [],
      oldVolume: null,
      seconds: Math.round(performance.now() - t0) / 1000,
      ...extra,
    })
    if (fromMajor === o.to) {
      // Already there: --prune-old removes the volume this one was restored from.
      const previous = labels[LABEL.upgradedFrom]
      if (!o.pruneOld || !previous) return result('unchanged')
      const removed = await pruneVolume(client, stack, previous)
      return result('unchanged', {oldVolume: {name: previous, action: removed ? 'removed' : 'kept'}})
    }
    if (fromMajor > o.to)
      throw notPossible(
        `Volume ${volume} holds PostgreSQL ${fromMajor} data; dezc does not downgrade to ${o.to}.`,
        `Keep postgres:${fromMajor}, or dump by hand and restore into an empty PostgreSQL ${o.to}.`,
      )
    const newVolume = upgradedVolumeName(base.name, o.to)
    if (await client.inspectVolume(newVolume))
      throw new DezcError({
        code: 'UPGRADE_LEFTOVER',
        message: `Volume ${newVolume} already exists, but the stack does not use it (left by an upgrade that was killed?).`,
        suggestion: [
          `If it is a leftover, remove it and run the upgrade again: docker volume rm ${newVolume}`,
          `The data the stack uses (${volume}) was not touched.`,
        ],
        exit: ExitCode.FAILURE,
      })
    return result('upgraded', await migrate(client, stack, o, {password, image, fromMajor, volume, newVolume, running}))
  } finally {
    client.close()
  }
}

interface MigrateInput {
  password: string
  image: string
  fromMajor: number
  volume: string
  newVolume: string
  running: Awaited<ReturnType<typeof findServiceContainer>>
}

async function migrate(
  client: DockerClient,
  stack: Stack,
  o: UpgradeOptions,
  m: MigrateInput,
): Promise<Partial<EnvUpgradeResult>> {
  const say = (s: string) => o.ui.reporter.info(s)
  const pg = stack.postgres
  const env = (key: string) =>
    ((m.running?.Config?.Env ?? []) as string[]).find((e) => e.startsWith(`${key}=`))?.slice(key.length + 1)
  const user = env('POSTGRES_USER') || pg.user
  const db = env('POSTGRES_DB') || pg.db
  const serverEnv = [`POSTGRES_USER=${user}`, `POSTGRES_PASSWORD=${m.password}`, `POSTGRES_DB=${db}`]
  const made: {containers: string[]; volume?: string} = {containers: []}
  const check = () => {
    if (o.signal.aborted)
      throw new InterruptedError('Interrupted; the upgrade was undone and the old data is untouched.')
  }
  const deadline = Date.now() + Math.max(stack.waitTimeoutMs, 60_000)
  let switched = false
  try {
    // The old server: the stack's own while it runs on this volume, else a temporary one on it.
    const onVolume = m.running?.State?.Running && m.running.Mounts?.some((x) => x.Name === m.volume)
    const oldHost = m.running && onVolume ? containerName(m.running, pg.container) : `${pg.container}-upgrade-from`
    const oldImage = m.running && onVolume ? m.running.Config.Image : `postgres:${m.fromMajor}`
    await ensureImages(client, [{image: m.image}, {image: oldImage}], {output: ''}, o.signal)
    await client.ensureNetwork(stack.network, baseLabels(stack))
    const server = (name: string, img: string, volume: string) => ({
      Image: img,
      Env: serverEnv,
      Labels: {...baseLabels(stack), 'dev.dezc.upgrade': 'temporary'},
      HostConfig: {Mounts: [{Type: 'volume', Source: volume, Target: postgresDataTarget(img)}]},
      NetworkingConfig: {EndpointsConfig: {[stack.network]: {}}},
    })
    if (!onVolume) {
      say(`Starting PostgreSQL ${m.fromMajor} on ${m.volume} (temporary, ${oldHost})...`)
      await client.removeContainer(oldHost, true).catch(() => {})
      await client.createContainer(oldHost, server(oldHost, oldImage, m.volume))
      made.containers.push(oldHost)
      await client.startContainer(oldHost)
    }
    const newHost = `${pg.container}-upgrade-to`
    await client.removeContainer(newHost, true).catch(() => {})
    await client.createVolume(m.newVolume, {
      ...baseLabels(stack),
      [LABEL.service]: 'postgres',
      [LABEL.pgMajor]: String(postgresMajor(m.image) ?? ''),
      [LABEL.upgradedFrom]: (stack.postgres.mount as {name: string}).name,
      'dev.dezc.credentials': credentialsFingerprint({...stack, postgres: {...pg, user, db, password: m.password}}),
    })
    made.volume = m.newVolume
    say(`Starting ${m.image} on the new volume ${m.newVolume} (${newHost})...`)
    await client.createContainer(newHost, server(newHost, m.image, m.newVolume))
    made.containers.push(newHost)
    await client.startContainer(newHost)
    const pgEnv = [`PGPASSWORD=${m.password}`, `PGUSER=${user}`]
    const sql = async (host: string, database: string, query: string): Promise<string[]> => {
      const r = await client.execCapture(
        newHost,
        ['psql', '-h', host, '-d', database, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', query],
        pgEnv,
      )
      if (r.exitCode !== 0) throw failed(`psql on ${host} failed: ${r.stderr.trim() || r.stdout.trim()}`, stack)
      return r.stdout.split('\n').filter((l) => l !== '')
    }
    for (const host of [newHost, oldHost]) await waitReady(client, host, newHost, pgEnv, deadline, o.signal, stack)
    check()
    const databases = await sql(oldHost, db, 'select datname from pg_database where not datistemplate order by 1')
    const existing = new Set(await sql('127.0.0.1', db, 'select datname from pg_database'))
    for (const d of databases) {
      check()
      say(`Copying database ${d}: pg_dump from PostgreSQL ${m.fromMajor}, pg_restore into ${postgresMajor(m.image)}...`)
      if (!existing.has(d)) await sql('127.0.0.1', db, `create database "${d.replaceAll('"', '""')}"`)
      const file = `/tmp/dezc-upgrade-${databases.indexOf(d)}.dump`
      const dump = await client.execCapture(newHost, ['pg_dump', '-h', oldHost, '-Fc', '-f', file, d], pgEnv)
      if (dump.exitCode !== 0) throw failed(`pg_dump of ${d} failed: ${dump.stderr.trim()}`, stack)
      const restore = await client.execCapture(
        newHost,
        ['pg_restore', '-h', '127.0.0.1', '-d', d, '--no-owner', '--exit-on-error', file],
        pgEnv,
      )
      if (restore.exitCode !== 0) throw failed(`pg_restore of ${d} failed: ${restore.stderr.trim()}`, stack)
      await client.execCapture(newHost, ['rm', '-f', file])
    }
    check()
    say('Counting the rows of every table on both servers...')
    const tables: UpgradeTable[] = []
    const differences: string[] = []
    for (const d of databases) {
      const [before, after] = [await countRows(sql, oldHost, d), await countRows(sql, '127.0.0.1', d)]
      for (const [table, rows] of before) {
        if (after.get(table) !== rows)
          differences.push(`${d}.${table}: ${rows} before, ${after.get(table) ?? 'missing'} after`)
        tables.push({database: d, table, rows})
      }
    }
    if (differences.length > 0)
      throw new DezcError({
        code: 'UPGRADE_VERIFY_FAILED',
        message: `The restored data differs from the old: ${differences.join('; ')}.`,
        suggestion: ['Nothing was switched: the stack still runs on its old data. Report this with --verbose output.'],
        exit: ExitCode.FAILURE,
      })
    check()
    // Switch: one server per data directory at a time; the stack's container is recreated on the new volume by env up.
    say('Row counts match; switching the stack to the new server...')
    for (const c of made.containers.splice(0)) {
      await client.stopContainer(c, 30)
      await client.removeContainer(c, true)
    }
    switched = true
    const upgraded: Stack = {...stack, postgres: {...pg, image: m.image, user, db}}
    await envUp(upgraded, o.ui, o.signal)
    let oldVolume: EnvUpgradeResult['oldVolume'] = {name: m.volume, action: 'kept'}
    if (o.pruneOld)
      oldVolume = {name: m.volume, action: (await pruneVolume(client, stack, m.volume)) ? 'removed' : 'kept'}
    return {to: {major: postgresMajor(m.image)!, volume: m.newVolume, image: m.image}, databases, tables, oldVolume}
  } catch (error) {
    if (!switched) await undo(client, made, o.ui)
    throw error
  }
}

/** Every table of a database with its row count ("schema.table" -> rows). */
async function countRows(
  sql: (host: string, database: string, query: string) => Promise<string[]>,
  host: string,
  database: string,
): Promise<Map<string, number>> {
  const lines = await sql(
    host,
    database,
    `select table_schema || '.' || table_name || '|' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text
       from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      order by 1`,
  )
  return new Map(lines.map((l) => [l.slice(0, l.lastIndexOf('|')), Number(l.slice(l.lastIndexOf('|') + 1))]))
}

async function waitReady(
  client: DockerClient,
  host: string,
  from: string,
  pgEnv: string[],
  deadline: number,
  signal: AbortSignal,
  stack: Stack,
): Promise<void> {
  for (;;) {
    if (signal.aborted) throw new InterruptedError('Interrupted; the upgrade was undone and the old data is untouched.')
    const info = await client.inspectContainer(host)
    if (info && !info.State.Running)
      throw failed(
        `${host} exited with code ${info.State.ExitCode}:\n${(await client.logsTail(host, 15)).trimEnd()}`,
        stack,
      )
    const r = await client.execCapture(
      from,
      ['pg_isready', '-q', '-h', host === from ? '127.0.0.1' : host, '-p', '5432'],
      pgEnv,
    )
    if (r.exitCode === 0) return
    if (Date.now() > deadline)
      throw failed(`${host} did not accept connections in time:\n${(await client.logsTail(host, 15)).trimEnd()}`, stack)
    await sleep(300, signal).catch(() => {})
  }
}

function failed(message: string, stack: Stack): DezcError {
  return new DezcError({
    code: 'UPGRADE_FAILED',
    message: `The upgrade failed: ${message}`,
    suggestion: [
      `Nothing was switched: the stack still runs on its old data (dezc env up${stackArgs(stack)} with the old image).`,
      'Fix the cause and run dezc env upgrade again.',
    ],
    exit: ExitCode.FAILURE,
  })
}

async function undo(client: DockerClient, made: {containers: string[]; volume?: string}, ui: Ui): Promise<void> {
  const left: string[] = []
  for (const c of made.containers) await client.removeContainer(c, true).catch(() => left.push(`container ${c}`))
  if (made.volume) await client.removeVolume(made.volume).catch(() => left.push(`volume ${made.volume}`))
  if (left.length > 0) ui.reporter.warn(`Could not remove what the upgrade made: ${left.join(', ')}.`)
}

/** Remove a volume of this stack (only dezc's, never one in use: the engine refuses that). */
async function pruneVolume(client: DockerClient, stack: Stack, name: string): Promise<boolean> {
  const v = await client.inspectVolume(name)
  if (!v || v.labels[LABEL.managed] !== 'true' || v.labels[LABEL.stack] !== stack.label) return false
  return client.removeVolume(name)
}
