/** Test-only environment knobs are read in one module: a new one cannot hide in a capability. */
import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {TEST_KNOBS, platformOverride} from '../../../src/core/test-knobs.js'
import {ROOT} from '../../helpers/cli.js'
import {sourceFiles} from '../../helpers/source-files.js'

describe('test knobs', () => {
  it('only src/core/test-knobs.ts reads them (others name them in comments only)', () => {
    const readers = sourceFiles(path.join(ROOT, 'src'))
      .filter((f) => !f.endsWith('test-knobs.ts'))
      .flatMap((f) => {
        const code = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
        return Object.keys(TEST_KNOBS)
          .filter((k) => code.includes(k))
          .map((k) => `${path.relative(ROOT, f)}: ${k}`)
      })
    expect(readers).toEqual([])
  })

  it('DEZC_PLATFORM takes os-arch and ignores anything else', () => {
    expect(platformOverride({DEZC_PLATFORM: 'darwin-arm64'})).toEqual({os: 'darwin', arch: 'arm64'})
    expect(platformOverride({DEZC_PLATFORM: 'mac'})).toBeUndefined()
    expect(platformOverride({})).toBeUndefined()
  })
})
