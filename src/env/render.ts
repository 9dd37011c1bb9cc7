/** Human output of the env commands (--json prints the results themselves). */
import type {StackCredentials} from './credentials.js'
import type {EnvDownResult} from './down.js'
import type {DryRunResult} from './plan.js'
import {hostPort} from './probe.js'
import {envUpCommand, type Stack} from './settings.js'
import type {EnvStatusResult} from './status.js'
import type {EnvUpResult} from './up.js'

export function renderDryRun(r: DryRunResult): string {
  const lines = [
    `Dry run (profile ${r.profile}${r.stack ? `, stack ${r.stack}` : ''}${r.engine ? `, engine ${r.engine}` : ''}): nothing was changed.`,
    '',
    'Plan:',
  ]
  for (const s of r.steps) lines.push(`  ${s.action.padEnd(8)} ${s.kind.padEnd(11)} ${s.name}`)
  lines.push('', r.commands.length > 0 ? 'The same by hand:' : 'Nothing to do by hand.')
  for (const c of r.commands) lines.push(`  ${c}`)
  return lines.join('\n')
}

export function renderUp(stack: Stack, r: EnvUpResult): string[] {
  const name = stack.name ? `Stack "${stack.name}"` : 'Stack'
  const lines = [
    `${name} (profile ${stack.profile}) is ${r.changed ? 'up' : 'already up, nothing to change'} (${r.seconds} s).`,
    `  Postgres  ${r.postgres.url}    psql: dezc env psql${stack.name ? ` --stack ${stack.name}` : ''}`,
  ]
  if (r.pgadmin)
    lines.push(
      `  pgAdmin   ${r.pgadmin.url}    login ${r.pgadmin.email}; server registered as host "${r.postgres.networkAlias}" (not localhost)`,
    )
  return lines
}

export function renderDown(r: EnvDownResult, volumesFlag: boolean): string[] {
  const lines = [
    r.containersRemoved.length > 0
      ? `Removed ${r.containersRemoved.join(', ')}${r.networkRemoved ? ` and network ${r.networkRemoved}` : ''}.`
      : 'Nothing was running.',
  ]
  if (r.volumesRemoved.length > 0) lines.push(`Deleted data volumes ${r.volumesRemoved.join(', ')}.`)
  if (r.dataKept.length > 0)
    lines.push(
      `Data kept in ${r.dataKept.join(', ')}; \`dezc env up\` finds it again${volumesFlag ? '' : ' (delete it with --volumes)'}.`,
    )
  return lines
}

/** The status table; `unhealthy` is the stderr hint when not every service is healthy. */
export function renderStatus(stack: Stack, r: EnvStatusResult): {table: string[]; unhealthy?: string} {
  const rows = [['SERVICE', 'STATE', 'HEALTH', 'ADDRESS', 'IMAGE', 'UPTIME', 'LAST PROBE']]
  for (const s of r.services)
    rows.push([
      s.service,
      s.state,
      s.health,
      s.address,
      s.image ?? '-',
      formatUptime(s.uptimeSeconds),
      s.lastProbe ?? '-',
    ])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  const table = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
  return {
    table,
    unhealthy: r.ok ? undefined : `Not all services are healthy. Start or repair them with: ${envUpCommand(stack)}`,
  }
}

/** Credentials for people; `url` (with the password) is printed by the command, outside the URL masking. */
export function renderCredentials(stack: Stack, c: StackCredentials): {lines: string[]; url?: string; after: string[]} {
  const pg = c.postgres
  const missing = (p?: string) => p ?? `(not generated yet: run ${envUpCommand(stack)})`
  const lines = [
    ...(c.note ? [c.note] : []),
    `Postgres  ${hostPort(pg.host, pg.port)}  database ${pg.database}  user ${pg.user}  password ${missing(pg.password)}`,
  ]
  const after = c.pgadmin
    ? [`pgAdmin   ${c.pgadmin.url}  email ${c.pgadmin.email}  password ${missing(c.pgadmin.password)}`]
    : []
  const origins = [...new Set([pg.passwordFrom, ...(c.pgadmin ? [c.pgadmin.passwordFrom] : [])])]
  after.push(`Passwords from: ${origins.join('; ')}`)
  return {lines, url: pg.url, after}
}

export function formatUptime(seconds: number | null): string {
  if (seconds === null) return '-'
  if (seconds < 90) return `${seconds}s`
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`
  return `${Math.round(seconds / 86_400)}d`
}

/** `env upgrade`: what moved where, the checked row counts, and what happens to the old volume. */
export function renderUpgrade(r: import('./upgrade.js').EnvUpgradeResult): string[] {
  if (r.action === 'unchanged')
    return [
      `The data is on PostgreSQL ${r.to.major} already (volume ${r.from.volume}); nothing to upgrade.`,
      ...(r.oldVolume ? [`Old volume ${r.oldVolume.name}: ${r.oldVolume.action}.`] : []),
    ]
  const rows = r.tables.reduce((n, t) => n + t.rows, 0)
  return [
    `Upgraded PostgreSQL ${r.from.major} -> ${r.to.major} in ${r.seconds} s: ${r.databases.length} database(s), ${r.tables.length} table(s), ${rows} rows, every table's count checked.`,
    ...r.tables.map((t) => `  ${t.database}.${t.table}: ${t.rows}`),
    `The stack now runs ${r.to.image} on volume ${r.to.volume}.`,
    r.oldVolume?.action === 'removed'
      ? `Old volume ${r.oldVolume.name} removed.`
      : `Old volume ${r.from.volume} kept (remove it with --prune-old once you are happy).`,
    `Set postgres.image: ${r.to.image} in the profile${r.to.major >= 18 ? ' (or course: 2026)' : ''} so later \`dezc env up\` runs start the same image.`,
  ]
}
