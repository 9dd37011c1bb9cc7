/**
 * `dezc ingest --in-network` from a machine whose OS differs from the engine's (a Mac with Docker
 * Desktop, simulated with the test-only DEZC_PLATFORM knob): refused before any image is
 * built, since this machine's DuckDB bindings would not load in the engine's linux containers.
 */
import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'

const images = () => execFileSync('docker', ['images', '-q', 'dezc-ingest'], {encoding: 'utf8'}).trim()

describe('dezc ingest --in-network on another OS than the engine (real engine)', () => {
  it('fails with IN_NETWORK_OS_MISMATCH, exit 4, and builds nothing', async () => {
    const before = images()
    const r = await runCli(
      [
        'ingest',
        'yellow',
        '2021-01',
        '--in-network',
        '--stack',
        `ingos${process.pid % 100000}`,
        '--db-url',
        'postgresql://root:root@pgdatabase:5432/nytaxi',
        '--json',
      ],
      {env: {DEZC_PLATFORM: `darwin-${process.arch}`}},
    )
    expect(r.code, r.stdout + r.stderr).toBe(4)
    const e = r.json().error
    expect(e.code).toBe('IN_NETWORK_OS_MISMATCH')
    expect(e.message).toMatch(/linux.*darwin|darwin.*linux/)
    expect(e.suggestions.join(' ')).toMatch(/without --in-network/)
    expect(images()).toBe(before)
  })
})
