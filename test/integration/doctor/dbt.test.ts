/**
 * `dezc doctor`'s dbt rows, read-only and fast (package metadata, no dbt process): no project is
 * skipped; a duckdb project with the tests' real dbt (scripts/ensure-dbt.sh) reports its real
 * versions and the missing DuckDB file; no dbt at all names `dezc dbt install`.
 */
import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {makeTempDir} from '../../helpers/tmp.js'

type Row = {id: string; status: string; detail: string; fix?: string}
const DBT = path.join(process.env.DEZC_TEST_DBT_DIR ?? '/var/cache/dezc-test/dbt', 'venv', 'bin', 'dbt')

async function dbtRows(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(['doctor', '--only', 'dbt', '--json'], {cwd, env})
  return {code: r.code, rows: Object.fromEntries((r.json().checks as Row[]).map((c) => [c.id, c]))}
}

function project(target: string): string {
  const dir = makeTempDir('dezc-doctor-dbt-')
  fs.writeFileSync(path.join(dir, 'dbt_project.yml'), 'name: taxi_rides_ny\n')
  fs.writeFileSync(path.join(dir, '.dezc-dbt.json'), JSON.stringify({files: {}, meta: {target}}))
  return dir
}

describe('doctor: dbt', () => {
  it('without a dbt project every row is skipped and says how to make one', async () => {
    const {code, rows} = await dbtRows(makeTempDir('dezc-doctor-dbt-'))
    expect(code).toBe(0)
    expect(Object.keys(rows).sort()).toEqual(['dbt.adapter', 'dbt.version', 'dbt.warehouse'])
    for (const row of Object.values(rows))
      expect(row).toMatchObject({status: 'skip', detail: expect.stringContaining('dezc dbt init')})
  })

  it('a duckdb project with the real dbt: versions ok, the missing DuckDB file fails with the ingest fix', async () => {
    const dir = project('duckdb')
    const {code, rows} = await dbtRows(dir, {DEZC_DBT: DBT})
    expect(code).toBe(5)
    expect(rows['dbt.version']).toMatchObject({status: 'ok', detail: `dbt 1.10.15 (${DBT})`})
    expect(rows['dbt.adapter']).toMatchObject({status: 'ok', detail: 'dbt-duckdb 1.9.6'})
    expect(rows['dbt.warehouse']).toMatchObject({
      status: 'fail',
      detail: `no DuckDB file ${path.join(dir, 'taxi.duckdb')}`,
    })
    expect(rows['dbt.warehouse'].fix).toContain('dezc ingest zones --to duckdb')
  })

  it('no dbt anywhere: the version row fails with `dezc dbt install`, the adapter row is skipped', async () => {
    const {rows} = await dbtRows(project('postgres'), {PATH: '/usr/bin:/bin', DEZC_DBT: undefined})
    expect(rows['dbt.version']).toMatchObject({status: 'fail', fix: 'dezc dbt install'})
    expect(rows['dbt.version'].detail).toContain('.venv/bin/dbt')
    expect(rows['dbt.adapter'].status).toBe('skip')
  })
})
