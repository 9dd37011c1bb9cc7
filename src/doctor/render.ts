/** Human output of `dezc doctor`: the checks table (--json prints the result itself). */
import {summarize, type CheckResult, type CheckStatus} from './check.js'

const MARK: Record<CheckStatus, string> = {ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip'}

/** The table people read: status, check, what was found; the fix on the line below. */
export function renderChecks(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.title.length))
  const lines: string[] = []
  let group = ''
  for (const r of results) {
    if (r.group !== group) {
      if (group) lines.push('')
      lines.push(r.group)
      group = r.group
    }
    lines.push(`  ${MARK[r.status]}  ${r.title.padEnd(width)}  ${r.detail}`)
    if (r.fix && r.status !== 'ok') lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  -> ${r.fix}`)
  }
  const c = summarize(results)
  lines.push(
    '',
    `${c.ok} ok, ${c.warn} warning${c.warn === 1 ? '' : 's'}, ${c.fail} failed${c.skip ? `, ${c.skip} skipped` : ''}.`,
  )
  return lines.join('\n')
}
