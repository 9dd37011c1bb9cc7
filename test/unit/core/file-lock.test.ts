import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {InterruptedError} from '../../../src/core/errors.js'
import {acquireFileLock, lockPathFor, withFileLock} from '../../../src/core/file-lock.js'
import {StateStore} from '../../../src/gcp/state.js'

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-lock-'))

describe('file lock', () => {
  it('runs holders one at a time and tells the waiter who holds it', async () => {
    const file = path.join(tmp(), 'x.parquet')
    const order: string[] = []
    const waits: number[] = []
    const job = (name: string) =>
      withFileLock(
        file,
        async () => {
          order.push(`${name}+`)
          await new Promise((r) => setTimeout(r, 50))
          order.push(`${name}-`)
        },
        {pollMs: 10, onWait: (h) => waits.push(h.pid)},
      )
    await Promise.all([job('a'), job('b'), job('c')])
    // Never two inside at once: every entry is followed by its own exit.
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i].replace('+', '-'))
    expect(order).toHaveLength(6)
    expect(waits).toEqual([process.pid, process.pid])
    expect(fs.existsSync(lockPathFor(file))).toBe(false)
  })

  it('takes over the lock of a process that died (kill -9) without waiting for it to go stale', async () => {
    const file = path.join(tmp(), 'y.tgz')
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    fs.writeFileSync(
      lockPathFor(file),
      JSON.stringify({pid: Number(dead), host: os.hostname(), since: new Date().toISOString()}),
    )
    const t0 = Date.now()
    const release = await acquireFileLock(file, {staleMs: 60_000})
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(JSON.parse(fs.readFileSync(lockPathFor(file), 'utf8')).pid).toBe(process.pid)
    await release()
  })

  it('a lock nobody touched for staleMs is taken over (owner on another host)', async () => {
    const file = path.join(tmp(), 'z')
    fs.writeFileSync(lockPathFor(file), JSON.stringify({pid: 1, host: 'elsewhere', since: '2020-01-01T00:00:00Z'}))
    const old = new Date(Date.now() - 10_000)
    fs.utimesSync(lockPathFor(file), old, old)
    const release = await acquireFileLock(file, {staleMs: 5000})
    await release()
  })

  it("Ctrl-C while waiting stops with INTERRUPTED and leaves the holder's lock alone", async () => {
    const file = path.join(tmp(), 'w')
    const release = await acquireFileLock(file)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    await expect(acquireFileLock(file, {signal: ac.signal, pollMs: 10})).rejects.toBeInstanceOf(InterruptedError)
    expect(fs.existsSync(lockPathFor(file))).toBe(true)
    await release()
  })
})

describe('gcp state file under concurrent writers', () => {
  it('keeps every record when many updates run at once (read-modify-write under the lock)', async () => {
    const store = new StateStore(path.join(tmp(), 'gcp-state.json'))
    await Promise.all(
      Array.from({length: 12}, (_, i) =>
        store.update('p', `sa${i}@p.iam.gserviceaccount.com`, (r) => r.addedRoles.push('roles/storage.admin')),
      ),
    )
    for (let i = 0; i < 12; i++)
      expect(await store.get('p', `sa${i}@p.iam.gserviceaccount.com`)).toMatchObject({
        addedRoles: ['roles/storage.admin'],
      })
  })
})
