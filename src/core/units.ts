/** Sizes for people. The one place bytes become text: decimal megabytes, as download sites and `ls -h --si` show them. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`
}

/** Binary units (KiB, MiB, GiB), as `ls -h` and du show them: download progress and disk space. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${units[i]}`
}
