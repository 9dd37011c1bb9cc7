import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {
  checkEnginePlatform,
  checkInNetworkFile,
  DOCKERFILE,
  imageTag,
  localPlatform,
} from '../../../src/ingest/in-network.js'

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

describe('--in-network engine platform', () => {
  const thrown = (f: () => void): DezcError | undefined => {
    try {
      f()
    } catch (error) {
      return error as DezcError
    }
    return undefined
  }

  it('names this machine as the engine does; DEZC_PLATFORM overrides it', () => {
    expect(localPlatform({DEZC_PLATFORM: 'darwin-arm64'})).toEqual({os: 'darwin', arch: 'arm64'})
    expect(localPlatform({DEZC_PLATFORM: 'win32-x64'})).toEqual({os: 'windows', arch: 'amd64'})
    expect(localPlatform({})).toEqual({
      os: process.platform === 'win32' ? 'windows' : process.platform,
      arch: process.arch === 'x64' ? 'amd64' : process.arch,
    })
  })

  it('refuses a linux engine from a Mac (Docker Desktop) before building: exit 4, naming both', () => {
    const e = thrown(() =>
      checkEnginePlatform({os: 'linux', arch: 'arm64'}, localPlatform({DEZC_PLATFORM: 'darwin-arm64'})),
    )
    expect(e).toBeInstanceOf(DezcError)
    expect(e!.code).toBe('IN_NETWORK_OS_MISMATCH')
    expect(e!.exit).toBe(4)
    expect(e!.message).toMatch(/linux/)
    expect(e!.message).toMatch(/darwin/)
    expect(e!.suggestions.join(' ')).toMatch(/without --in-network/)
  })

  it('still refuses another architecture, and accepts the same platform', () => {
    expect(thrown(() => checkEnginePlatform({os: 'linux', arch: 'arm64'}, {os: 'linux', arch: 'amd64'}))?.code).toBe(
      'IN_NETWORK_ARCH_MISMATCH',
    )
    expect(
      thrown(() => checkEnginePlatform({os: 'linux', arch: 'amd64'}, {os: 'linux', arch: 'amd64'})),
    ).toBeUndefined()
  })
})
