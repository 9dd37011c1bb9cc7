/**
 * A lock per file shared by dezc processes (two ingests of one month, `spark install` twice, two
 * `gcp bootstrap`s writing one state file): the second waits for the first and then reuses what
 * it made, instead of both writing one `.part`.
 *
 * The lock is `<file>.lock`, created with O_EXCL and holding the owner's pid and host. The owner
 * touches it every few seconds; a lock whose owner process is gone (kill -9, a crash) or that has
 * not been touched for `staleMs` is taken over, so a dead process never blocks the cache.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {InterruptedError, systemErrorCode} from './errors.js'
import {sleep} from './sleep.js'

export interface FileLockOptions {
  signal?: AbortSignal
  /** Called once when another process holds the lock (to say why nothing seems to happen). */
  onWait?: (holder: LockHolder) => void
  /** A lock not touched for this long is stale (default 30 s; the owner touches it every 5 s). */
  staleMs?: number
  pollMs?: number
}

export interface LockHolder {
  pid: number
  host: string
  since: string
}

const TOUCH_MS = 5000

export function lockPathFor(file: string): string {
  return `${file}.lock`
}

export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const release = await acquireFileLock(file, options)
  try {
    return await fn()
  } finally {
    await release()
  }
}

export async function acquireFileLock(file: string, options: FileLockOptions = {}): Promise<() => Promise<void>> {
  const lock = lockPathFor(file)
  const staleMs = options.staleMs ?? 30_000
  const me: LockHolder = {pid: process.pid, host: os.hostname(), since: new Date().toISOString()}
  await fs.mkdir(path.dirname(lock), {recursive: true})
  let told = false
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError()
    try {
      await fs.writeFile(lock, JSON.stringify(me), {flag: 'wx'})
      break
    } catch (error) {
      if (systemErrorCode(error) !== 'EEXIST') throw error
    }
    const holder = await readHolder(lock)
    if (holder === 'gone') continue
    if (await isStale(lock, holder, staleMs)) {
      // Take over by renaming first: of two processes that both saw it stale only one wins the rename.
      const grave = `${lock}.stale-${process.pid}`
      try {
        await fs.rename(lock, grave)
        // If another process took the stale lock over in between, what we moved is its fresh lock: put it back.
        const moved = await fs.readFile(grave, 'utf8').catch(() => '')
        if (holder && moved !== JSON.stringify(holder)) await fs.link(grave, lock).catch(() => {})
        await fs.rm(grave, {force: true})
      } catch {
        // another process took it over first
      }
      continue
    }
    if (!told && holder) {
      told = true
      options.onWait?.(holder)
    }
    await sleep(options.pollMs ?? 150, options.signal)
  }
  const timer = setInterval(() => {
    const now = new Date()
    fs.utimes(lock, now, now).catch(() => {})
  }, TOUCH_MS)
  timer.unref()
  let released = false
  return async () => {
    if (released) return
    released = true
    clearInterval(timer)
    await fs.rm(lock, {force: true})
  }
}

async function readHolder(lock: string): Promise<LockHolder | undefined | 'gone'> {
  try {
    return JSON.parse(await fs.readFile(lock, 'utf8')) as LockHolder
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return 'gone'
    return undefined // being written right now, or damaged: the age decides
  }
}

async function isStale(lock: string, holder: LockHolder | undefined, staleMs: number): Promise<boolean> {
  if (holder && holder.host === os.hostname() && holder.pid !== process.pid && !processAlive(holder.pid)) return true
  try {
    const {mtimeMs} = await fs.stat(lock)
    return Date.now() - mtimeMs > staleMs
  } catch {
    return false
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return systemErrorCode(error) === 'EPERM'
  }
}
