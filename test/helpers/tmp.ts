/** Temp dirs that are removed after the test file (the hook is registered when a test file imports this). */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll} from 'vitest'

const created: string[] = []

afterAll(() => {
  for (const d of created.splice(0)) fs.rmSync(d, {recursive: true, force: true})
})

export function makeTempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  created.push(d)
  return d
}

/** A temp folder holding a dezc.yaml with `yaml`: run the CLI with it as cwd. */
export function configDir(yaml: string, prefix = 'dezc-cfg-'): string {
  const d = makeTempDir(prefix)
  fs.writeFileSync(path.join(d, 'dezc.yaml'), yaml)
  return d
}
