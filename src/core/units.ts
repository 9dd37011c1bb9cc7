/** Sizes for people: decimal megabytes, as download sites and `ls -h --si` show them. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`
}
