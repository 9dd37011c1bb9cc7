/** Human lines for `dezc bq` results (stdout). Pure. */
import type {ExternalDryRun, ExternalResult, LoadDryRun, LoadResult, QueryResult} from './service.js'

const n = (x: number) => x.toLocaleString('en-US')

export function bytesHuman(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = b
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(2)} ${units[i]}`
}

export function renderExternal(r: ExternalResult): string[] {
  return [
    `${r.ref}: external table over ${r.uri} (${r.months.length} month${r.months.length === 1 ? '' : 's'}, ${r.months[0]} .. ${r.months.at(-1)}), ${n(r.rows)} rows.`,
    `Bucket in ${r.bucketLocation}, dataset in ${r.location}.`,
  ]
}

function planLines(title: string, steps: string[], commands: string[]): string[] {
  return [
    title,
    ...steps,
    '',
    'The same with the bq CLI:',
    ...commands.map((c) => `  ${c}`),
    '',
    'Dry run: nothing ran.',
  ]
}

export function renderExternalDryRun(p: ExternalDryRun): string[] {
  return planLines(
    `Would create or replace ${p.ref} over ${p.uri}:`,
    p.sql.split('\n').map((l) => `  ${l}`),
    p.commands,
  )
}

export function renderLoad(r: LoadResult): string[] {
  const lines = r.months.map(
    (m) => `${m.status.padEnd(8)} ${m.period}  ${m.uri}  ${n(m.rows)} rows${m.seconds ? `  ${m.seconds} s` : ''}`,
  )
  lines.push(
    `${r.totals.loaded} loaded (${n(r.totals.rows)} rows), ${r.totals.skipped} already in ${r.ref}; the table holds ${n(r.tableRows)} rows (partitioned by DAY on ${r.partitioning.field}, clustered by ${r.clustering.join(', ')}).`,
  )
  return lines
}

export function renderLoadDryRun(p: LoadDryRun): string[] {
  return planLines(
    `Plan for ${p.ref}${p.ledgerRead ? '' : ' (the ledger was not read)'}:`,
    p.steps.map((s) => `  ${s.action.padEnd(12)} ${s.period}  ${s.uri}`),
    p.commands,
  )
}

export function renderQuery(r: QueryResult): string[] {
  const cost = `${bytesHuman(r.bytesProcessed)} (${n(r.bytesProcessed)} bytes), about USD ${r.costUsd.toFixed(3)} on demand at ${r.usdPerTib}/TiB`
  if (r.dryRun) return [`This query would process ${cost}.`, `  ${r.command}`, 'Dry run: nothing ran.']
  const lines: string[] = []
  const rows = r.rows ?? []
  if (rows.length > 0) {
    const cols = Object.keys(rows[0])
    const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : String(v))
    const width = cols.map((c) => Math.max(c.length, ...rows.map((row) => cell(row[c]).length)))
    lines.push(cols.map((c, i) => c.padEnd(width[i])).join('  '))
    for (const row of rows) lines.push(cols.map((c, i) => cell(row[c]).padEnd(width[i])).join('  '))
  }
  lines.push(
    `${r.totalRows === undefined ? '' : `${n(r.totalRows)} row${r.totalRows === 1 ? '' : 's'}${rows.length < r.totalRows ? ` (${rows.length} shown)` : ''}; `}processed ${cost} (job ${r.jobId}).`,
  )
  return lines
}
