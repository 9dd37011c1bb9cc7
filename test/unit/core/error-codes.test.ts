/** The error-code list is the contract: the README shows exactly it, and every code in it is really raised somewhere. */
import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ERROR_CODES, withErrorCodeTable} from '../../../src/core/error-codes.js'
import {ROOT} from '../../helpers/cli.js'
import {sourceFiles} from '../../helpers/source-files.js'

describe('error codes', () => {
  it("the README's table is the one generated from src/core/error-codes.ts (run npm run docs:errors)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    expect(readme).toBe(withErrorCodeTable(readme))
    for (const code of Object.keys(ERROR_CODES)) expect(readme).toContain(`| \`${code}\` |`)
  })

  it('every listed code is raised by some source file (no stale entries)', () => {
    const src = sourceFiles(path.join(ROOT, 'src'))
      .filter((f) => !f.endsWith('error-codes.ts'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n')
    const unused = Object.keys(ERROR_CODES).filter((code) => !src.includes(`'${code}'`))
    expect(unused).toEqual([])
  })

  it('codes are UPPER_SNAKE and every meaning is one line', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/)
      expect(meaning).not.toMatch(/\n|\|/)
    }
  })
})
