/** Human lines for `dezc lake` results (stdout). Pure. */
import {mb} from '../core/units.js'
import type {LakeDryRun} from './plan.js'
import type {LsResult, UploadResult} from './service.js'

export function renderUpload(r: UploadResult): string[] {
  const lines = r.uploads.map(
    (u) =>
      `${u.status.padEnd(8)} ${u.url}  ${mb(u.bytes).padStart(9)}${u.rows === undefined ? '' : `  ${u.rows.toLocaleString('en-US')} rows`}${u.mbPerSecond ? `  ${u.mbPerSecond} MB/s` : ''}`,
  )
  const t = r.totals
  lines.push(
    `${t.uploaded} uploaded, ${t.skipped} already in gs://${r.bucket} (${r.layout} layout; bucket from ${r.bucketSource})${t.uploaded ? `: ${mb(t.bytes)} in ${t.seconds} s, ${t.mbPerSecond} MB/s` : ''}.`,
  )
  return lines
}

export function renderDryRun(p: LakeDryRun): string[] {
  const lines = [`Plan for gs://${p.bucket} (${p.layout} layout${p.bucketRead ? '' : '; the bucket was not read'}):`]
  for (const s of p.steps)
    lines.push(
      `  ${s.action.padEnd(8)} ${s.period}  ${s.object}${s.remote ? `  (in the bucket: ${mb(s.remote.bytes)}, crc32c ${s.remote.crc32c ?? '-'}${s.action === 'check' ? '; skipped if the checksums match' : ''})` : ''}`,
    )
  lines.push(
    '',
    'The same by hand:',
    ...p.commands.map((c) => `  ${c}`),
    '',
    'Dry run: nothing is downloaded or written.',
  )
  return lines
}

export function renderLs(r: LsResult): string[] {
  if (r.objects.length === 0) return [`gs://${r.bucket} holds no objects${r.objects.length === 0 ? ' here' : ''}.`]
  const lines = r.objects.map(
    (o) => `${mb(o.bytes).padStart(10)}  ${(o.updated ?? '').padEnd(24)}  gs://${r.bucket}/${o.name}`,
  )
  for (const [ds, months] of Object.entries(r.months))
    lines.push(`${ds}: ${months.length} month${months.length === 1 ? '' : 's'} (${months[0]} .. ${months.at(-1)})`)
  lines.push(`${r.objects.length} object${r.objects.length === 1 ? '' : 's'}, ${mb(r.bytes)}.`)
  return lines
}
