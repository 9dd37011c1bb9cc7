/**
 * The local service-account key file: reading it back (to reuse it instead of minting a new key on
 * every run) and writing it safely (0600 in a 0700 directory, atomically, never over a file that
 * belongs to another account).
 */
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode} from '../core/errors.js'
import {shellQuote} from '../core/shell.js'

export type LocalKeyState =
  | {state: 'missing'; file: string}
  | {state: 'unreadable'; file: string; reason: string}
  | {state: 'present'; file: string; clientEmail: string; keyId: string; projectId?: string}

export async function readLocalKey(file: string): Promise<LocalKeyState> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {state: 'missing', file}
    return {state: 'unreadable', file, reason: (error as Error).message}
  }
  try {
    const json = JSON.parse(text) as Record<string, unknown>
    if (
      json.type !== 'service_account' ||
      typeof json.client_email !== 'string' ||
      typeof json.private_key_id !== 'string'
    ) {
      return {state: 'unreadable', file, reason: 'it is not a service-account key file'}
    }
    return {
      state: 'present',
      file,
      clientEmail: json.client_email,
      keyId: json.private_key_id,
      projectId: typeof json.project_id === 'string' ? json.project_id : undefined,
    }
  } catch {
    return {state: 'unreadable', file, reason: 'it is not valid JSON'}
  }
}

/** The key id from a key resource name `projects/p/serviceAccounts/e/keys/<id>`. */
export function keyIdOf(name: string | null | undefined): string {
  return (name ?? '').split('/').pop() ?? ''
}

/** Refuse to touch a file that is not this account's key. Checked before any key is created. */
export async function assertKeyFileUsable(file: string, email: string): Promise<LocalKeyState> {
  const local = await readLocalKey(file)
  if (local.state === 'unreadable' || (local.state === 'present' && local.clientEmail !== email)) {
    const whose =
      local.state === 'present' ? `the key of ${local.clientEmail}` : `a file dezc cannot use (${local.reason})`
    throw new DezcError({
      code: 'KEY_FILE_CONFLICT',
      message: `${file} already holds ${whose}; dezc will not overwrite it with the key of ${email}.`,
      suggestion: [
        'Choose another directory with --key-dir, or another account name with --sa-name, or move that file away.',
      ],
      exit: ExitCode.USAGE,
    })
  }
  await ensurePrivateDir(path.dirname(file))
  try {
    await fs.access(path.dirname(file), fs.constants.W_OK)
  } catch {
    throw new DezcError({
      code: 'KEY_DIR_NOT_WRITABLE',
      message: `Cannot write to ${path.dirname(file)}.`,
      suggestion: 'Fix its permissions or pass --key-dir DIR.',
      exit: ExitCode.PREREQUISITE,
    })
  }
  return local
}

async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, {recursive: true, mode: 0o700})
  } catch (error) {
    throw new DezcError({
      code: 'KEY_DIR_NOT_WRITABLE',
      message: `Cannot create ${dir}: ${(error as Error).message}`,
      suggestion: 'Pass --key-dir DIR with a directory you can write to.',
      exit: ExitCode.PREREQUISITE,
      cause: error,
    })
  }
}

/** Write a secret file atomically with mode 0600 (temp file in the same directory, then rename). */
export async function writeSecretFile(file: string, content: string | Buffer): Promise<void> {
  await ensurePrivateDir(path.dirname(file))
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`)
  const handle = await fs.open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.chmod(tmp, 0o600)
  await fs.rename(tmp, file)
}

/** Decode a keys.create answer into the key-file text, checking it is the key we asked for. */
export function decodeKeyFile(privateKeyData: string, email: string): {text: string; keyId: string} {
  const text = Buffer.from(privateKeyData, 'base64').toString('utf8')
  let json: Record<string, unknown>
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new DezcError({
      code: 'BAD_KEY_DATA',
      message: 'Google returned key data that is not a JSON key file.',
      suggestion: 'Re-run; if it persists, create the key in the console.',
    })
  }
  if (json.client_email !== email || typeof json.private_key_id !== 'string') {
    throw new DezcError({
      code: 'BAD_KEY_DATA',
      message: `Google returned a key file for ${String(json.client_email)}, not ${email}.`,
      suggestion: 'Re-run with --verbose and report it.',
    })
  }
  return {text, keyId: json.private_key_id}
}

export {shellQuote}

export function exportLine(file: string): string {
  return `export GOOGLE_APPLICATION_CREDENTIALS=${shellQuote(file)}`
}

/** Put the export line into an env file: replace an existing GOOGLE_APPLICATION_CREDENTIALS line or append. Returns whether the file changed. */
export async function writeEnvLine(envFile: string, line: string): Promise<boolean> {
  let current = ''
  try {
    current = await fs.readFile(envFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const lines = current === '' ? [] : current.replace(/\n$/, '').split('\n')
  const i = lines.findIndex((l) => /^\s*(export\s+)?GOOGLE_APPLICATION_CREDENTIALS=/.test(l))
  if (i >= 0) {
    if (lines[i] === line) return false
    lines[i] = line
  } else lines.push(line)
  await fs.mkdir(path.dirname(path.resolve(envFile)), {recursive: true})
  await fs.writeFile(envFile, lines.join('\n') + '\n')
  return true
}
