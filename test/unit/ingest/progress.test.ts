import {afterEach, describe, expect, it, vi} from 'vitest'
import {MonthProgress} from '../../../src/ingest/progress.js'

afterEach(() => vi.useRealTimers())

describe('MonthProgress: one line per month with both sides', () => {
  it('shows MB downloaded with its rate, then rows loaded with theirs, on one line', () => {
    vi.useFakeTimers()
    vi.setSystemTime(0)
    const p = new MonthProgress()
    p.download(2_000_000, 45_600_000) // resumed from disk: not counted in the rate
    vi.setSystemTime(2000)
    p.download(12_000_000, 45_600_000)
    expect(p.line()).toBe('12.0 MB / 45.6 MB at 5.00 MB/s')
    p.rows(0, undefined)
    vi.setSystemTime(4000)
    p.rows(300_000)
    expect(p.line()).toMatch(/^12\.0 MB \/ 45\.6 MB at 5\.00 MB\/s; loading 300,000 rows at 150,000 rows\/s$/)
  })

  it('a cached file says so; a wait is named until rows arrive', () => {
    const p = new MonthProgress()
    p.downloaded(45_600_000, true)
    expect(p.line()).toBe('45.6 MB from cache')
    const q = new MonthProgress()
    q.download(1_000_000, 2_000_000)
    q.waiting('waiting for the database')
    expect(q.line()).toMatch(/^1\.00 MB \/ 2\.00 MB.*; waiting for the database$/)
  })
})
