/** Every .ts file below `dir`, for tests that check a rule across the sources. */
import fs from 'node:fs'
import path from 'node:path'

export function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, {withFileTypes: true})
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    )
}
