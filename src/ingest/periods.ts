/** Period arguments: `2021-01`, ranges `2021-01..2021-06`, whole years `2021`. Pure. */
import {usageError} from '../core/errors.js'

const MONTH = /^(\d{4})-(\d{2})$/
const YEAR = /^(\d{4})$/

function monthIndex(y: number, m: number): number {
  return y * 12 + (m - 1)
}

function fromIndex(i: number): string {
  const y = Math.floor(i / 12)
  const m = (i % 12) + 1
  return `${y}-${String(m).padStart(2, '0')}`
}

function parseMonth(s: string, original: string): number {
  const m = MONTH.exec(s)
  if (!m) throw badPeriod(original)
  const month = Number(m[2])
  if (month < 1 || month > 12) throw badPeriod(original, `month ${m[2]} does not exist`)
  return monthIndex(Number(m[1]), month)
}

function badPeriod(value: string, why?: string) {
  return usageError(
    'INVALID_PERIOD',
    `Invalid period "${value}"${why ? `: ${why}` : ''}.`,
    'Use a month (2021-01), a range of months (2021-01..2021-06) or a whole year (2021).',
  )
}

export interface ExpandOptions {
  /** The current date (tests pin it). */
  now?: Date
  /** Earliest month with the dataset's mapped schema (YYYY-MM). */
  first?: string
  dataset?: string
}

/**
 * Expand period arguments into a sorted, de-duplicated list of YYYY-MM months. Months after the
 * current one are an error (they cannot exist); so are months before the dataset's first file.
 * A whole year that includes the current month stops at the current month.
 */
export function expandPeriods(specs: string[], options: ExpandOptions = {}): string[] {
  const now = options.now ?? new Date()
  const current = monthIndex(now.getUTCFullYear(), now.getUTCMonth() + 1)
  const first = options.first ? parseMonth(options.first, options.first) : undefined
  const out = new Set<number>()
  for (const raw of specs) {
    const spec = raw.trim()
    let from: number
    let to: number
    let wholeYear = false
    if (YEAR.test(spec)) {
      const y = Number(spec)
      from = monthIndex(y, 1)
      to = monthIndex(y, 12)
      wholeYear = true
    } else if (spec.includes('..')) {
      const [a, b, ...rest] = spec.split('..')
      if (rest.length > 0 || !a || !b) throw badPeriod(raw)
      from = parseMonth(a, raw)
      to = parseMonth(b, raw)
      if (to < from) throw badPeriod(raw, `the range ends (${b}) before it starts (${a})`)
    } else {
      from = to = parseMonth(spec, raw)
    }
    if (from > current) {
      throw usageError(
        'FUTURE_PERIOD',
        `Period "${raw}" is in the future (the current month is ${fromIndex(current)}).`,
        'TLC publishes each month about two months after it ends; pick an earlier month.',
      )
    }
    if (to > current) {
      if (!wholeYear)
        throw usageError(
          'FUTURE_PERIOD',
          `Period "${raw}" ends in the future (the current month is ${fromIndex(current)}).`,
          `End the range at ${fromIndex(current)} or earlier.`,
        )
      to = current
    }
    if (first !== undefined && from < first) {
      if (wholeYear && to >= first) from = first
      else {
        throw usageError(
          'PERIOD_NOT_SUPPORTED',
          `Period "${raw}" is before the first ${options.dataset ?? ''} file dezc can load (${fromIndex(first)}).`.replace(
            '  ',
            ' ',
          ),
          `Pick ${fromIndex(first)} or later${options.dataset === 'yellow' ? ' (2009-2010 files use an unrelated schema)' : ''}.`,
        )
      }
    }
    for (let i = from; i <= to; i++) out.add(i)
  }
  return [...out].sort((x, y) => x - y).map(fromIndex)
}

/** The YYYY-MM in a file name such as yellow_tripdata_2021-01.parquet, if any. */
export function periodFromFileName(name: string): string | undefined {
  const m = /(\d{4}-\d{2})(?!.*\d{4}-\d{2})/.exec(name)
  return m ? m[1] : undefined
}
