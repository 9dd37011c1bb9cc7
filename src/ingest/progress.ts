/**
 * The one progress line of a month: both sides of a load, e.g.
 * "12.3 MB / 45.6 MB at 5.0 MB/s; loading 412,000 rows at 150,000 rows/s" (the download's rate counts only
 * bytes fetched by this run, not those resumed from disk).
 */
import {mb} from '../core/units.js'

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

export class MonthProgress {
  private dl?: {t0: number; base: number; bytes: number; total?: number; t?: number; done?: boolean}
  private load?: {t0: number; rows: number; total?: number}
  private state?: string

  download(bytes: number, total?: number): void {
    const now = Date.now()
    this.dl ??= {t0: now, base: bytes, bytes}
    this.dl.bytes = bytes
    this.dl.total = total ?? this.dl.total
    this.dl.t = now
  }

  downloaded(bytes: number, fromCache: boolean): void {
    if (fromCache) this.state = `${mb(bytes)} from cache`
    else this.download(bytes, bytes)
    if (this.dl) this.dl.done = true
  }

  rows(rows: number, total?: number): void {
    this.load ??= {t0: Date.now(), rows}
    this.load.rows = rows
    this.load.total = total
  }

  waiting(what: string): void {
    this.state = what
  }

  line(): string {
    const parts: string[] = []
    if (this.dl) {
      const s = ((this.dl.t ?? Date.now()) - this.dl.t0) / 1000
      const rate = s > 0.05 ? ` at ${mb((this.dl.bytes - this.dl.base) / s)}/s` : ''
      parts.push(
        `${this.dl.done ? 'downloaded ' : ''}${mb(this.dl.bytes)}${this.dl.total && !this.dl.done ? ` / ${mb(this.dl.total)}` : ''}${rate}`,
      )
    } else if (this.state && !this.load) parts.push(this.state)
    if (this.load) {
      const s = (Date.now() - this.load.t0) / 1000
      parts.push(
        `loading ${fmt(this.load.rows)}${this.load.total ? ` / ${fmt(this.load.total)}` : ''} rows${s > 0.05 ? ` at ${fmt(this.load.rows / s)} rows/s` : ''}`,
      )
    } else if (this.state && this.dl) parts.push(this.state)
    return parts.join('; ')
  }
}
