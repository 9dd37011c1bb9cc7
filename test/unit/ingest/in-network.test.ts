import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {checkInNetworkFile, DOCKERFILE, imageTag} from '../../../src/ingest/in-network.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-innet-unit-'))
fs.mkdirSync(path.join(root, 'dist', 'ingest'), {recursive: true})
fs.mkdirSync(path.join(root, path.dirname(DOCKERFILE)), {recursive: true})
fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({version: '1.2.3'}))
fs.writeFileSync(path.join(root, DOCKERFILE), 'FROM ${BASE}\n')
fs.writeFileSync(path.join(root, 'dist', 'ingest', 'a.js'), 'x')
afterAll(() => fs.rmSync(root, {recursive: true, force: true}))

describe('in-network image tag', () => {
  it('is stable for the same build and base, and changes with the base or the built files', () => {
    const t1 = imageTag(root, 'node:20-bookworm-slim')
    expect(t1).toMatch(/^dezc-ingest:1\.2\.3-[0-9a-f]{12}$/)
    expect(imageTag(root, 'node:20-bookworm-slim')).toBe(t1)
    expect(imageTag(root, 'dezc-test/node:bookworm')).not.toBe(t1)
    fs.writeFileSync(path.join(root, 'dist', 'ingest', 'a.js'), 'xy')
    expect(imageTag(root, 'node:20-bookworm-slim')).not.toBe(t1)
  })
})

describe('--in-network --file', () => {
  it('accepts URLs and refuses local paths with a usage error', () => {
    expect(() => checkInNetworkFile('https://example.test/y.parquet')).not.toThrow()
    expect(() => checkInNetworkFile(undefined)).not.toThrow()
    let err: unknown
    try {
      checkInNetworkFile('./y.parquet')
    } catch (error) {
      err = error
    }
    expect(err).toBeInstanceOf(DezcError)
    expect((err as DezcError).code).toBe('IN_NETWORK_LOCAL_FILE')
    expect((err as DezcError).exit).toBe(2)
  })
})
