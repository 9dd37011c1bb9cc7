import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {loadConfig, setConfigValue} from '../../../src/config/load.js'
import {DezcError} from '../../../src/core/errors.js'

let dir: string
let env: NodeJS.ProcessEnv
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-cfg-'))
  env = {HOME: dir, DEZC_CONFIG_DIR: path.join(dir, 'user')}
  fs.mkdirSync(path.join(dir, 'user'))
  fs.mkdirSync(path.join(dir, 'proj'))
})

const write = (rel: string, text: string) => fs.writeFileSync(path.join(dir, rel), text)

describe('loadConfig', () => {
  it('layers the user file under the project file', async () => {
    write('user/config.yaml', 'profiles:\n  local:\n    postgres: {port: 6000, db: userdb}\n')
    write('proj/dezc.yaml', 'profiles:\n  local:\n    postgres: {port: 7000}\n')
    const cfg = await loadConfig({cwd: path.join(dir, 'proj'), env})
    expect(cfg.files.map((f) => f.kind)).toEqual(['user', 'project'])
    expect((cfg.raw('profiles') as any).local.postgres).toEqual({port: 7000, db: 'userdb'})
    expect(cfg.secretsFile).toBe(path.join(dir, 'user', 'config.yaml'))
  })

  it('uses only the --config file when given, and stores secrets there', async () => {
    write('user/config.yaml', 'defaultProfile: synology\n')
    write('explicit.yaml', 'defaultProfile: local\n')
    const cfg = await loadConfig({cwd: dir, env, explicitPath: 'explicit.yaml'})
    expect(cfg.files).toHaveLength(1)
    expect(cfg.raw('defaultProfile')).toBe('local')
    expect(cfg.secretsFile).toBe(path.join(dir, 'explicit.yaml'))
  })

  it('reports invalid YAML with file and line', async () => {
    write('proj/dezc.yaml', 'profiles:\n  local:\n    postgres: {port: 5432\n  other: [\n')
    const err = await loadConfig({cwd: path.join(dir, 'proj'), env}).catch((e) => e)
    expect(err).toBeInstanceOf(DezcError)
    expect(err.code).toBe('CONFIG_INVALID')
    expect(err.exit).toBe(2)
    expect(err.message).toMatch(new RegExp(`dezc\\.yaml:\\d+:\\d+: invalid YAML`))
  })

  it('reports a wrong value with the line it is on', async () => {
    write('proj/dezc.yaml', 'defaultProfile: local\nprofiles:\n  local:\n    postgres:\n      port: "not a number"\n')
    const err = await loadConfig({cwd: path.join(dir, 'proj'), env}).catch((e) => e)
    expect(err.code).toBe('CONFIG_INVALID')
    expect(err.message).toContain('dezc.yaml:5: profiles.local.postgres.port')
  })

  it('warns about unknown top-level settings and errors on a missing --config file', async () => {
    write('proj/dezc.yaml', 'profles: {}\n')
    const warnings: string[] = []
    await loadConfig({cwd: path.join(dir, 'proj'), env, onWarning: (w) => warnings.push(w)})
    expect(warnings[0]).toMatch(/dezc\.yaml:1: unknown setting "profles"/)
    const err = await loadConfig({cwd: dir, env, explicitPath: 'nope.yaml'}).catch((e) => e)
    expect(err.code).toBe('CONFIG_NOT_FOUND')
  })
})

describe('setConfigValue', () => {
  it('creates the file 0600 and keeps existing comments', async () => {
    const file = path.join(dir, 'user', 'config.yaml')
    write('user/config.yaml', '# my settings\ndefaultProfile: local # keep me\n')
    fs.chmodSync(file, 0o644)
    await setConfigValue(file, ['profiles', 'synology', 'postgres', 'password'], 's3cret')
    const text = fs.readFileSync(file, 'utf8')
    expect(text).toContain('# my settings')
    expect(text).toContain('# keep me')
    expect(text).toMatch(/password: s3cret/)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const fresh = path.join(dir, 'new', 'config.yaml')
    await setConfigValue(fresh, ['a'], 1)
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o600)
  })
})
