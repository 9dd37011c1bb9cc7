import {describe, expect, it} from 'vitest'
import {buildError} from '../../../src/docker/errors.js'

// Error events the engine really sends in a build stream (classic builder of Engine 20.10; BuildKit).
const CONTEXT_MISSING = [
  'COPY failed: file not found in build context or excluded by .dockerignore: stat docker/ingest/entry.sh: file does not exist',
  'failed to compute cache key: "/docker/ingest/entry.sh" not found: not found',
  'failed to solve: failed to compute cache key: failed to calculate checksum of ref 1b2c::x: "/entry.sh": not found',
]
const BASE_UNAVAILABLE = [
  'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
  "pull access denied for dezc-test/nope, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
  'manifest for node:99-bookworm-slim not found: manifest unknown: manifest unknown',
  'failed to solve: node:99: failed to resolve source metadata for docker.io/library/node:99: docker.io/library/node:99: not found',
]
const RUN_FAILED = "The command '/bin/sh -c npm rebuild duckdb' returned a non-zero code: 1"

describe('build failures from the engine', () => {
  it('a file missing from the build context is its own error (exit 1), not the pull advice', () => {
    for (const detail of CONTEXT_MISSING) {
      const e = buildError('dezc-ingest:0.1.0-abc', detail)
      expect(e.code, detail).toBe('IMAGE_BUILD_CONTEXT_MISSING')
      expect(e.exit).toBe(1)
      expect(e.message).toContain(detail)
      expect(e.suggestions.join(' ')).toMatch(/rebuild|reinstall/i)
      expect(e.suggestions.join(' ')).not.toMatch(/pull|base image/i)
    }
  })

  it('a base image that cannot be pulled keeps the pull advice and exit 4', () => {
    for (const detail of BASE_UNAVAILABLE) {
      const e = buildError('dezc-ingest:0.1.0-abc', detail)
      expect(e.code, detail).toBe('IMAGE_BUILD_FAILED')
      expect(e.exit, detail).toBe(4)
      expect(e.suggestions.join(' ')).toMatch(/base image/)
    }
  })

  it('any other step failure is a plain build failure (exit 1)', () => {
    const e = buildError('t', RUN_FAILED)
    expect(e).toMatchObject({code: 'IMAGE_BUILD_FAILED', exit: 1})
    expect(e.message).toContain(RUN_FAILED)
  })
})
