import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {
  assertKeyFileUsable,
  decodeKeyFile,
  exportLine,
  keyIdOf,
  readLocalKey,
  writeEnvLine,
  writeSecretFile,
} from '../../../src/gcp/keyfile.js'
import {withRetry} from '../../../src/core/retry.js'
import {StateStore} from '../../../src/gcp/state.js'

const SA = 'dezc-sa@p1.iam.gserviceaccount.com'
const keyJson = (email = SA, id = 'abc123') =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'p1',
    private_key_id: id,
    private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n',
    client_email: email,
  })
let dir: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-keyfile-'))
})
afterEach(() => {
  fs.rmSync(dir, {recursive: true, force: true})
})

describe('key files', () => {
  it('writes secrets atomically with mode 0600 in a 0700 directory, replacing the old file', async () => {
    const file = path.join(dir, 'gc', 'dezc-sa.json')
    await writeSecretFile(file, 'one')
    await writeSecretFile(file, 'two')
    expect(fs.readFileSync(file, 'utf8')).toBe('two')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(fs.readdirSync(path.dirname(file))).toEqual(['dezc-sa.json'])
  })

  it('reads back which account and key a local file holds', async () => {
    const file = path.join(dir, 'k.json')
    expect(await readLocalKey(file)).toMatchObject({state: 'missing'})
    fs.writeFileSync(file, '{not json')
    expect(await readLocalKey(file)).toMatchObject({state: 'unreadable', reason: 'it is not valid JSON'})
    fs.writeFileSync(file, JSON.stringify({type: 'authorized_user'}))
    expect(await readLocalKey(file)).toMatchObject({
      state: 'unreadable',
      reason: 'it is not a service-account key file',
    })
    fs.writeFileSync(file, keyJson())
    expect(await readLocalKey(file)).toMatchObject({
      state: 'present',
      clientEmail: SA,
      keyId: 'abc123',
      projectId: 'p1',
    })
  })

  it("refuses a file that holds another account's key or something else, and accepts its own", async () => {
    const file = path.join(dir, 'k.json')
    fs.writeFileSync(file, keyJson('other@p1.iam.gserviceaccount.com'))
    await expect(assertKeyFileUsable(file, SA)).rejects.toMatchObject({code: 'KEY_FILE_CONFLICT'})
    fs.writeFileSync(file, 'hello')
    await expect(assertKeyFileUsable(file, SA)).rejects.toMatchObject({code: 'KEY_FILE_CONFLICT'})
    fs.writeFileSync(file, keyJson())
    await expect(assertKeyFileUsable(file, SA)).resolves.toMatchObject({state: 'present'})
  })

  it("decodes keys.create data and checks it is the requested account's key", () => {
    const data = Buffer.from(keyJson()).toString('base64')
    expect(decodeKeyFile(data, SA)).toEqual({text: keyJson(), keyId: 'abc123'})
    expect(() => decodeKeyFile(data, 'x@p1.iam.gserviceaccount.com')).toThrow(/not x@p1/)
    expect(() => decodeKeyFile(Buffer.from('nope').toString('base64'), SA)).toThrow(DezcError)
    expect(keyIdOf(`projects/p1/serviceAccounts/${SA}/keys/abc123`)).toBe('abc123')
  })

  it('quotes the export line only when needed, and replaces an earlier line in an env file', async () => {
    expect(exportLine('/home/me/.gc/dezc-sa.json')).toBe(
      'export GOOGLE_APPLICATION_CREDENTIALS=/home/me/.gc/dezc-sa.json',
    )
    expect(exportLine("/tmp/it's here/k.json")).toBe(
      `export GOOGLE_APPLICATION_CREDENTIALS='/tmp/it'\\''s here/k.json'`,
    )
    const env = path.join(dir, '.env')
    expect(await writeEnvLine(env, exportLine('/a.json'))).toBe(true)
    expect(await writeEnvLine(env, exportLine('/a.json'))).toBe(false)
    fs.writeFileSync(env, 'A=1\nGOOGLE_APPLICATION_CREDENTIALS=/old.json\nB=2\n')
    expect(await writeEnvLine(env, exportLine('/a.json'))).toBe(true)
    expect(fs.readFileSync(env, 'utf8')).toBe('A=1\nexport GOOGLE_APPLICATION_CREDENTIALS=/a.json\nB=2\n')
  })
})

describe('retry and state', () => {
  it('retries only what it is told to, within the time budget, and stops at once on abort', async () => {
    let n = 0
    const flaky = () => (++n < 3 ? Promise.reject(new Error('busy')) : Promise.resolve('ok'))
    expect(await withRetry(flaky, {retryOn: () => true, initialMs: 1})).toBe('ok')
    expect(n).toBe(3)

    n = 0
    await expect(withRetry(flaky, {retryOn: () => false, initialMs: 1})).rejects.toThrow('busy')
    expect(n).toBe(1)

    // A budget smaller than one attempt still gets the minimum number of attempts.
    let slow = 0
    const slowFail = async () => {
      slow++
      await new Promise((r) => setTimeout(r, 30))
      throw new Error('slow')
    }
    await expect(withRetry(slowFail, {retryOn: () => true, initialMs: 1, totalMs: 5})).rejects.toThrow('slow')
    expect(slow).toBe(3)

    let calls = 0
    const always = () => {
      calls++
      return Promise.reject(new Error('still busy'))
    }
    await expect(withRetry(always, {retryOn: () => true, initialMs: 10, factor: 1, totalMs: 60})).rejects.toThrow(
      'still busy',
    )
    expect(calls).toBeGreaterThan(1)
    expect(calls).toBeLessThan(10)

    const ac = new AbortController()
    setTimeout(() => ac.abort(), 20)
    const t0 = Date.now()
    await expect(withRetry(always, {retryOn: () => true, initialMs: 10_000, signal: ac.signal})).rejects.toMatchObject({
      code: 'INTERRUPTED',
    })
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  it('records what dezc added per project and account, de-duplicated, in a 0600 file', async () => {
    const store = new StateStore(path.join(dir, 'data', 'gcp-state.json'))
    await store.update('p1', SA, (r) => r.addedRoles.push('roles/viewer', 'roles/viewer'))
    await store.update('p1', SA, (r) => r.createdKeys.push('k1'))
    expect(await store.get('p1', SA)).toEqual({
      createdAccount: false,
      addedRoles: ['roles/viewer'],
      createdKeys: ['k1'],
      enabledApis: [],
    })
    expect(await store.get('p2', SA)).toBeUndefined()
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600)
    await store.remove('p1', SA)
    expect(await store.get('p1', SA)).toBeUndefined()
    fs.writeFileSync(store.file, 'garbage')
    expect(await store.get('p1', SA)).toBeUndefined()
  })
})
