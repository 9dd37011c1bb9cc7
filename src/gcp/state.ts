/**
 * What dezc itself added, per project and account, so teardown removes exactly that and nothing
 * a person or another tool set up. Stored in the data dir (no secrets: role names and key ids).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {dataDir} from '../config/paths.js'
import {withFileLock} from '../core/file-lock.js'

export interface AccountRecord {
  /** dezc created the account (it also says so in the account's description). */
  createdAccount: boolean
  /** Roles whose binding dezc added for the account (never ones it already had). */
  addedRoles: string[]
  /** Ids of keys dezc created. */
  createdKeys: string[]
  /** APIs dezc enabled (teardown leaves them on; reported only). */
  enabledApis: string[]
  /** Set just before keys.create and cleared once its answer is in: a leftover means the answer was lost. */
  keyRequestedAt?: string
}

interface StateFile {
  version: 1
  accounts: Record<string, AccountRecord>
}

export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'gcp-state.json')
}

const keyOf = (project: string, email: string) => `${project}/${email}`

async function readState(file: string): Promise<StateFile> {
  try {
    const json = JSON.parse(await fs.readFile(file, 'utf8')) as StateFile
    if (json && json.version === 1 && typeof json.accounts === 'object') return json
  } catch {
    // missing or damaged: start empty (teardown falls back to the account's description)
  }
  return {version: 1, accounts: {}}
}

export class StateStore {
  constructor(readonly file: string = stateFile()) {}

  async get(project: string, email: string): Promise<AccountRecord | undefined> {
    return (await readState(this.file)).accounts[keyOf(project, email)]
  }

  /** Read-modify-write under the file's lock: two concurrent `gcp bootstrap`s keep both their records. */
  async update(project: string, email: string, fn: (r: AccountRecord) => void): Promise<AccountRecord> {
    return withFileLock(this.file, () => this.updateLocked(project, email, fn))
  }

  private async updateLocked(project: string, email: string, fn: (r: AccountRecord) => void): Promise<AccountRecord> {
    const state = await readState(this.file)
    const k = keyOf(project, email)
    const rec = state.accounts[k] ?? {createdAccount: false, addedRoles: [], createdKeys: [], enabledApis: []}
    fn(rec)
    rec.addedRoles = [...new Set(rec.addedRoles)]
    rec.createdKeys = [...new Set(rec.createdKeys)]
    rec.enabledApis = [...new Set(rec.enabledApis)]
    state.accounts[k] = rec
    await this.write(state)
    return rec
  }

  async remove(project: string, email: string): Promise<void> {
    await withFileLock(this.file, async () => {
      const state = await readState(this.file)
      delete state.accounts[keyOf(project, email)]
      await this.write(state)
    })
  }

  private async write(state: StateFile): Promise<void> {
    await fs.mkdir(path.dirname(this.file), {recursive: true})
    const tmp = `${this.file}.${process.pid}.tmp`
    await fs.writeFile(tmp, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
    await fs.rename(tmp, this.file)
  }
}
