/** Command lines that carry another program's arguments (dbt, spark-submit jobs). */

/** argv → dezc's flags (with their values), then `--`, then everything else for the other program (dbt, a Spark job). */
export function splitPassthrough(argv: string[], flags: Record<string, {type: string; char?: string}>): string[] {
  const byName = new Map<string, {type: string}>([['json', {type: 'boolean'}]])
  for (const [name, f] of Object.entries(flags)) {
    byName.set(name, f)
    if (f.char) byName.set(f.char, f)
  }
  const ours: string[] = []
  const theirs: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      theirs.push(...argv.slice(i + 1))
      break
    }
    const m = a.match(/^--?([^=]+)(=.*)?$/)
    const f = m ? byName.get(m[1]) : undefined
    if (!f) {
      theirs.push(a)
      continue
    }
    ours.push(a)
    if (f.type === 'option' && !m![2] && i + 1 < argv.length) ours.push(argv[++i])
  }
  return [...ours, '--', ...theirs]
}
