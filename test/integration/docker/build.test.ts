/**
 * DockerClient.buildImage against the real engine: how each kind of build failure is reported.
 * The contexts need no image (FROM scratch) or name one that exists nowhere.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {DockerClient} from '../../../src/docker/client.js'
import {resolveEndpoint} from '../../../src/docker/endpoint.js'

let client: DockerClient
const dirs: string[] = []

beforeAll(async () => {
  client = await DockerClient.connect(resolveEndpoint({env: process.env}))
})
afterAll(() => {
  client?.close()
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true})
})

async function build(files: Record<string, string>, dockerfile = 'Dockerfile'): Promise<DezcError> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-build-ctx-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  const {create} = await import('tar')
  const context = create({cwd: dir, portable: true}, Object.keys(files)) as unknown as NodeJS.ReadableStream
  const tag = `dezc-test/build-failure:${process.pid}`
  try {
    await client.buildImage(context, {tag, dockerfile}, () => {})
  } catch (error) {
    return error as DezcError
  }
  throw new Error(`building ${tag} succeeded`)
}

describe('DockerClient.buildImage failures (real engine)', () => {
  it('a COPY of a file missing from the context is IMAGE_BUILD_CONTEXT_MISSING, exit 1', async () => {
    const e = await build({Dockerfile: 'FROM scratch\nCOPY entry.sh /entry.sh\n'})
    expect(e).toBeInstanceOf(DezcError)
    expect(e.code, e.message).toBe('IMAGE_BUILD_CONTEXT_MISSING')
    expect(e.exit).toBe(1)
    expect(e.message).toMatch(/entry\.sh/)
  })

  it('a context without the Dockerfile (refused up front) is IMAGE_BUILD_CONTEXT_MISSING too', async () => {
    const e = await build({'entry.sh': 'true\n'}, 'docker/ingest/Dockerfile')
    expect(e.code, e.message).toBe('IMAGE_BUILD_CONTEXT_MISSING')
    expect(e.exit).toBe(1)
    expect(e.message).toContain('docker/ingest/Dockerfile')
  })

  it('a base image that cannot be pulled is IMAGE_BUILD_FAILED, exit 4, with the pull advice', async () => {
    const e = await build({Dockerfile: 'FROM dezc-test/no-such-base:never\nRUN true\n'})
    expect(e.code, e.message).toBe('IMAGE_BUILD_FAILED')
    expect(e.exit, e.message).toBe(4)
    expect(e.suggestions.join(' ')).toMatch(/base image/)
  }, 120_000)
})
