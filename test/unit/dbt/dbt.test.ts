import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {splitPassthrough} from '../../../src/dbt/command.js'
import {parseDbtVersion, versionSupported} from '../../../src/dbt/dbt.js'
import {parseZonesCsv, placeholderZones} from '../../../src/dbt/project.js'
import {needsDeps} from '../../../src/dbt/service.js'
import {zonesCsv} from '../../helpers/tlc-fixtures.js'
import {makeTempDir} from '../../helpers/tmp.js'

describe('dbt pass-through command line', () => {
  const flags = {
    stack: {type: 'option'},
    dir: {type: 'option'},
    verbose: {type: 'boolean'},
    yes: {type: 'boolean', char: 'y'},
  }
  it("keeps dezc's flags (with their values) and hands everything else to dbt, in order", () => {
    expect(splitPassthrough(['--select', 'stg_x', '--stack', 's1', '--full-refresh', '--json'], flags)).toEqual([
      '--stack',
      's1',
      '--json',
      '--',
      '--select',
      'stg_x',
      '--full-refresh',
    ])
    expect(splitPassthrough(['--dir=p', '-y', '--', '--stack', 'x'], flags)).toEqual([
      '--dir=p',
      '-y',
      '--',
      '--stack',
      'x',
    ])
    expect(splitPassthrough(['--target', 'prod'], flags)).toEqual(['--', '--target', 'prod'])
  })
})

describe('dbt --version', () => {
  const out = `Core:\n  - installed: 1.10.15\n  - latest:    1.12.6  - Update available!\n\nPlugins:\n  - postgres: 1.9.1 - Update available!\n  - duckdb:   1.9.6 - Update available!\n`
  it('reads the core version and the adapters', () => {
    expect(parseDbtVersion(out)).toEqual({version: '1.10.15', adapters: {postgres: '1.9.1', duckdb: '1.9.6'}})
  })
  it('supports 1.10 up to (not including) 2.0', () => {
    expect([
      versionSupported('1.9.9'),
      versionSupported('1.10.0'),
      versionSupported('1.12.6'),
      versionSupported('2.0.1'),
    ]).toEqual([false, true, true, false])
  })
})

describe('zone lookup', () => {
  it('parses the TLC CSV (quoted fields with commas and quotes)', () => {
    const rows = parseZonesCsv(zonesCsv().replaceAll('\n', '\r\n'))
    expect(rows).toHaveLength(265)
    expect(rows[0]).toEqual({LocationID: 1, Borough: 'EWR', Zone: 'Newark Airport', service_zone: 'EWR'})
    expect(rows[6].Zone).toBe('Zone 7 / Heights, "Park"')
    expect(parseZonesCsv('<html>not found</html>')).toEqual([])
  })
  it('the placeholder says it is one', () => {
    expect(placeholderZones()).toHaveLength(265)
    expect(placeholderZones()[0].Zone).toContain('placeholder')
  })
})

describe('dbt deps needed', () => {
  it('when packages.yml names a package dbt_packages/ lacks', () => {
    const dir = makeTempDir('dezc-dbt-deps-')
    expect(needsDeps(dir)).toBe(false)
    fs.writeFileSync(path.join(dir, 'packages.yml'), 'packages: []\n')
    expect(needsDeps(dir)).toBe(false)
    fs.writeFileSync(path.join(dir, 'packages.yml'), 'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.3.3\n')
    expect(needsDeps(dir)).toBe(true)
    fs.mkdirSync(path.join(dir, 'dbt_packages', 'dbt_utils'), {recursive: true})
    expect(needsDeps(dir)).toBe(false)
  })
})

describe('dezc dbt install pins', () => {
  it('are the versions the tests run (scripts/ensure-dbt.sh), and DuckDB is the Node API’s engine', async () => {
    const {DBT_PINS} = await import('../../../src/dbt/settings.js')
    const {pinnedPackages} = await import('../../../src/dbt/install.js')
    const script = fs.readFileSync(new URL('../../../scripts/ensure-dbt.sh', import.meta.url), 'utf8')
    for (const [pkg, v] of [
      ['dbt-core', DBT_PINS.core],
      ['dbt-postgres', DBT_PINS.postgres],
      ['dbt-duckdb', DBT_PINS.duckdb],
      ['duckdb', DBT_PINS.duckdbEngine],
    ])
      expect(script).toMatch(new RegExp(` ?${pkg}==\\$\\{DEZC_TEST_[A-Z_]+:-${v.replaceAll('.', '\\.')}\\}`))
    const nodeDuck = JSON.parse(
      fs.readFileSync(new URL('../../../node_modules/@duckdb/node-api/package.json', import.meta.url), 'utf8'),
    ).version
    expect(nodeDuck.split('-')[0]).toBe(DBT_PINS.duckdbEngine)
    expect(pinnedPackages('postgres')).toEqual(['dbt-core==1.10.15', 'dbt-postgres==1.9.1'])
  })
})

describe('the dbt target follows the course edition', () => {
  it('2023: postgres; 2026: duckdb; --target and dbt.target win', async () => {
    const {LoadedConfig} = await import('../../../src/config/load.js')
    const {resolveDbtSettings} = await import('../../../src/dbt/settings.js')
    const none = new LoadedConfig([], '/nonexistent/dezc.yaml')
    expect(resolveDbtSettings(none, {}).target).toBe('postgres')
    expect(resolveDbtSettings(none, {course: '2026'}).target).toBe('duckdb')
    expect(resolveDbtSettings(none, {course: '2026', target: 'postgres'}).target).toBe('postgres')
  })
})
