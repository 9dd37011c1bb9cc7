/** Small text helpers shared by the error paths (kept dependency-free: they run before anything loads). */

/** Edit distance, to pick the command or flag the user most likely meant. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

/** The candidate closest to `typed`, if it is close enough to be a likely typo. */
export function closest(typed: string, candidates: string[]): string | undefined {
  let best: {c: string; d: number} | undefined
  for (const c of candidates) {
    const d = editDistance(typed, c)
    if (d <= Math.max(2, Math.floor(c.length / 3)) && (!best || d < best.d)) best = {c, d}
  }
  return best?.c
}
