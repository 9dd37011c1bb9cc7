/**
 * Cloud Storage through Google's own client (@google-cloud/storage, imported at point of use):
 * credentials resolved like `dezc gcp` (GOOGLE_OAUTH_ACCESS_TOKEN, else ADC), an endpoint override
 * for tests and private endpoints, object reads, and a resumable upload that dezc resumes itself.
 *
 * Resuming: the session URI and the offset the server acknowledged (the Range of its last 308) are
 * kept in a state file beside the cache, so a cut connection (or a killed dezc) continues from that
 * offset with the same session: in this run after a back-off, or in the next run. dezc never asks
 * the server for the offset (the `bytes *\/*` status query), because fake-gcs-server finalises the
 * object on that query instead of answering 308; it passes the known offset to the client instead.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Bucket, Storage} from '@google-cloud/storage'
import {DezcError, ExitCode, InterruptedError, errorMessage, systemErrorCode} from '../core/errors.js'
import {sleep} from '../core/sleep.js'
import {retryBaseMs} from '../core/test-knobs.js'
import {resolveAuth, type ResolvedAuth} from '../gcp/auth.js'
import type {Digests, RemoteObject} from './plan.js'

export interface StorageClients {
  /** Reads, lists, deletes: the library's own retries. */
  storage: Storage
  /** Uploads: no library retries (dezc resumes from the acknowledged offset). */
  uploads: Storage
  auth: ResolvedAuth
  endpoint: string
}

/**
 * The library bundles google-auth-library 9, dezc uses 10: one v9 OAuth2Client whose every request
 * header comes from dezc's credential (so refreshes, quota project and the token endpoint behave
 * exactly as in `dezc gcp`).
 */
async function bridgeAuth(auth: ResolvedAuth): Promise<import('@google-cloud/storage').StorageOptions['authClient']> {
  const storageEntry = fileURLToPath(import.meta.resolve('@google-cloud/storage'))
  const gal9 = createRequire(storageEntry)('google-auth-library') as {OAuth2Client: new () => object}
  const source = auth.client
  class DezcCredential extends (gal9.OAuth2Client as new () => object) {
    async getRequestMetadataAsync(): Promise<{headers: Record<string, string>}> {
      const {token} = await source.getAccessToken()
      if (!token) throw new Error('the credential gave no access token')
      const headers: Record<string, string> = {Authorization: `Bearer ${token}`}
      if (auth.quotaProject) headers['x-goog-user-project'] = auth.quotaProject
      return {headers}
    }
  }
  // An OAuth2Client of storage's own (nested) google-auth-library 9, loaded at run time: its type is not importable.
  return new DezcCredential() as unknown as import('@google-cloud/storage').StorageOptions['authClient']
}

export async function openStorage(o: {apiRoot?: string; env?: NodeJS.ProcessEnv}): Promise<StorageClients> {
  const auth = await resolveAuth({env: o.env, apiRoot: o.apiRoot})
  const {Storage} = await import('@google-cloud/storage')
  const authClient = await bridgeAuth(auth)
  const base = {
    authClient,
    projectId: auth.quotaProject ?? 'dezc',
    ...(o.apiRoot ? {apiEndpoint: o.apiRoot, useAuthWithCustomEndpoint: true} : {}),
  }
  const storage = new Storage(base)
  const uploads = new Storage({...base, retryOptions: {autoRetry: false, maxRetries: 0}})
  return {storage, uploads, auth, endpoint: o.apiRoot ?? 'https://storage.googleapis.com'}
}

function statusOf(e: unknown): number | undefined {
  const x = e as {code?: unknown; status?: unknown; response?: {status?: unknown}}
  for (const v of [x?.response?.status, x?.status, x?.code]) if (typeof v === 'number') return v
  return undefined
}

/** A Cloud Storage failure as a DezcError: missing bucket, auth, permission, network, anything else quoted. */
export function storageError(e: unknown, ctx: {bucket: string; action: string; endpoint: string}): DezcError {
  if (e instanceof DezcError) return e
  const status = statusOf(e)
  const msg = errorMessage(e).split('\n')[0]
  if (status === 404) {
    return new DezcError({
      code: 'BUCKET_NOT_FOUND',
      message: `The bucket gs://${ctx.bucket} does not exist (or this account cannot see it) at ${ctx.endpoint}.`,
      suggestion: [
        'Create the course bucket: dezc tf apply (dezc lake reads its name from terraform.tfvars).',
        'Or name an existing bucket with --bucket.',
      ],
      exit: ExitCode.FAILURE,
      details: {bucket: ctx.bucket},
    })
  }
  if (status === 401) {
    return new DezcError({
      code: 'NOT_AUTHENTICATED',
      message: `Cloud Storage rejected the credentials while ${ctx.action} (401: ${msg}).`,
      suggestion: [
        'The token may have expired: gcloud auth application-default login (or a fresh GOOGLE_OAUTH_ACCESS_TOKEN).',
      ],
      exit: ExitCode.PREREQUISITE,
    })
  }
  if (status === 403) {
    return new DezcError({
      code: 'PERMISSION_DENIED',
      message: `Permission denied while ${ctx.action} in gs://${ctx.bucket} (403: ${msg}).`,
      suggestion: [
        'Grant the account Storage Object Admin on the bucket (roles/storage.objectAdmin; dezc gcp bootstrap does).',
      ],
      details: {bucket: ctx.bucket, role: 'roles/storage.objectAdmin'},
      exit: ExitCode.PREREQUISITE,
    })
  }
  const sys = systemErrorCode(e)
  if (status === undefined && sys) {
    return new DezcError({
      code: 'NETWORK_ERROR',
      message: `Cannot reach Cloud Storage at ${ctx.endpoint} while ${ctx.action} (${sys}).`,
      suggestion: ['Check the network, or --api-root / DEZC_GCS_API_ROOT.'],
      exit: ExitCode.FAILURE,
      cause: e,
    })
  }
  return new DezcError({
    code: 'GOOGLE_API_ERROR',
    message: `Cloud Storage failed while ${ctx.action}${status ? ` (${status})` : ''}: ${msg}`,
    suggestion: 'Re-run; uploads resume where they stopped.',
    exit: ExitCode.FAILURE,
    cause: e,
  })
}

/**
 * Before any upload: the account may create, read, list and delete objects in the bucket
 * (testIamPermissions on the bucket), else PERMISSION_DENIED naming Storage Object Admin and the
 * missing permissions. An endpoint without the IAM call (404/405/501: fake-gcs-server, some
 * private endpoints) is not asked again; the upload's own 403 is then mapped the same way.
 */
export async function checkObjectPermissions(
  clients: StorageClients,
  bucket: string,
  onDebug?: (m: string) => void,
): Promise<void> {
  const {LAKE_ROLES, roleLabel} = await import('../gcp/roles.js')
  const role = LAKE_ROLES[0]
  let granted: Record<string, boolean>
  try {
    ;[granted] = await clients.storage.bucket(bucket).iam.testPermissions(role.permissions)
  } catch (error) {
    const status = statusOf(error)
    if (status === 404 || status === 405 || status === 501) {
      onDebug?.(
        `${clients.endpoint} has no testIamPermissions (${status}); permissions are not checked before uploading.`,
      )
      return
    }
    throw storageError(error, {bucket, action: 'checking the permissions on the bucket', endpoint: clients.endpoint})
  }
  const missing = role.permissions.filter((p) => !granted[p])
  if (missing.length === 0) return
  throw new DezcError({
    code: 'PERMISSION_DENIED',
    message: `The account may not ${missing.join(', ')} in gs://${bucket}: it lacks ${roleLabel(role)} on the bucket or the project.`,
    suggestion: [
      `Grant it: gcloud storage buckets add-iam-policy-binding gs://${bucket} --member=serviceAccount:ACCOUNT --role=${role.role} (dezc gcp bootstrap grants it on the project).`,
    ],
    exit: ExitCode.PREREQUISITE,
    details: {bucket, missing, role: role.role},
  })
}

export function toRemote(meta: Record<string, any>): RemoteObject {
  return {
    name: String(meta.name),
    bytes: Number(meta.size ?? 0),
    md5: meta.md5Hash || undefined,
    crc32c: meta.crc32c || undefined,
    updated: meta.updated || undefined,
    generation: meta.generation === undefined ? undefined : String(meta.generation),
    metadata: meta.metadata ?? undefined,
  }
}

/** The object's metadata, or undefined when it does not exist. */
export async function statObject(bucket: Bucket, name: string): Promise<RemoteObject | undefined> {
  try {
    const [meta] = await bucket.file(name).getMetadata()
    return toRemote(meta as Record<string, any>)
  } catch (error) {
    if (statusOf(error) === 404) return undefined
    throw error
  }
}

/** Every object under a prefix (paged by the library). */
export async function listObjects(bucket: Bucket, prefix?: string): Promise<RemoteObject[]> {
  const [files] = await bucket.getFiles(prefix ? {prefix} : {})
  return files.map((f) => toRemote(f.metadata as Record<string, any>))
}

/** crc32c in native SIMD code (@node-rs/crc32, ~2 GB/s) when its binary loads here; else the storage library's JavaScript one (~70 MB/s). */
async function crc32cHasher(): Promise<{update(b: Buffer): void; base64(): string}> {
  try {
    const {crc32c} = await import('@node-rs/crc32')
    let v = 0
    return {
      update: (b) => (v = crc32c(b, v)),
      base64: () => {
        const out = Buffer.alloc(4)
        out.writeUInt32BE(v >>> 0)
        return out.toString('base64')
      },
    }
  } catch {
    const {CRC32C} = await import('@google-cloud/storage')
    const crc = new CRC32C()
    return {update: (b) => crc.update(b), base64: () => crc.toString()}
  }
}

/** md5 and crc32c of a local file, base64 like Cloud Storage reports them. */
export async function fileDigests(file: string): Promise<Digests> {
  const md5 = createHash('md5')
  const crc = await crc32cHasher()
  let bytes = 0
  for await (const chunk of fs.createReadStream(file, {highWaterMark: 1024 * 1024})) {
    md5.update(chunk as Buffer)
    crc.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return {md5: md5.digest('base64'), crc32c: crc.base64(), bytes}
}

interface SessionState {
  uri: string
  bucket: string
  object: string
  md5: string
  bytes: number
  /** Bytes the server acknowledged. */
  offset: number
}

export interface UploadOptions {
  clients: StorageClients
  bucket: string
  object: string
  file: string
  digests: Digests
  metadata: Record<string, string>
  chunkBytes: number
  /** Where the session state lives (one JSON file per object). */
  stateDir: string
  signal: AbortSignal
  attempts?: number
  retryBaseMs?: number
  onProgress?: (sent: number, total: number) => void
  onWarning?: (message: string) => void
}

export interface UploadOutcome {
  remote: RemoteObject
  /** Offset this run started at (> 0 when an earlier run's session was resumed). */
  resumedFrom: number
  /** Times a cut connection was resumed within this run. */
  resumes: number
  /** Bytes sent over the wire (offset resumes make this less than twice the size after a cut). */
  sentBytes: number
}

function statePath(dir: string, bucket: string, object: string): string {
  return path.join(dir, `${createHash('sha256').update(`${bucket}/${object}`).digest('hex').slice(0, 32)}.json`)
}

async function readState(file: string): Promise<SessionState | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as SessionState
  } catch {
    return undefined
  }
}

async function writeState(file: string, s: SessionState): Promise<void> {
  await fsp.mkdir(path.dirname(file), {recursive: true})
  await fsp.writeFile(`${file}.tmp`, JSON.stringify(s))
  await fsp.rename(`${file}.tmp`, file)
}

const retryable = (e: unknown) => {
  const s = statusOf(e)
  return s === undefined || s === 408 || s === 429 || s >= 500
}

/** Pipe a file stream into an upload stream until it finishes; Ctrl-C destroys both. */
function pipeUpload(
  read: fs.ReadStream,
  write: NodeJS.WritableStream & {destroy(e?: Error): void},
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      read.destroy()
      write.destroy(new InterruptedError())
    }
    signal.addEventListener('abort', onAbort, {once: true})
    read.on('error', (e) => write.destroy(e))
    write.on('error', (e: Error) => {
      signal.removeEventListener('abort', onAbort)
      read.destroy()
      reject(e)
    })
    write.on('finish', () => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    })
    read.pipe(write)
  })
}

/**
 * Upload one file to gs://bucket/object and verify the stored object's checksums. A file that fits
 * in one chunk goes in one multipart request (metadata, declared md5/crc32c and bytes together: a
 * cut costs the same resend as a one-chunk session, and the session's POST and the read-back are
 * saved); a larger one goes through a resumable session, resumed from the acknowledged offset.
 */
export async function uploadObject(o: UploadOptions): Promise<UploadOutcome & {method: 'single' | 'resumable'}> {
  if (o.digests.bytes <= o.chunkBytes) return {...(await uploadSingle(o)), method: 'single'}
  return {...(await uploadResumable(o)), method: 'resumable'}
}

/** The object's metadata, with the digests the server checks the upload against. */
function objectMetadata(o: UploadOptions) {
  return {
    contentType: 'application/vnd.apache.parquet',
    md5Hash: o.digests.md5,
    crc32c: o.digests.crc32c,
    metadata: o.metadata,
  }
}

/** Exponential backoff between upload attempts (capped at 30 s), said as a warning with what happens next. */
async function waitBeforeRetry(
  o: UploadOptions,
  error: unknown,
  attempt: number,
  attempts: number,
  base: number,
  next: string,
) {
  const delay = Math.min(base * 2 ** (attempt - 1), 30_000)
  o.onWarning?.(
    `${o.object}: ${errorMessage(error).split('\n')[0]}; ${next} in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${attempts}).`,
  )
  await sleep(delay, o.signal)
}

/** One multipart request; the server checks the declared md5/crc32c, dezc the metadata it answers with. Retried whole. */
async function uploadSingle(o: UploadOptions): Promise<UploadOutcome> {
  const ctx = {bucket: o.bucket, action: `uploading ${o.object}`, endpoint: o.clients.endpoint}
  const file = o.clients.uploads.bucket(o.bucket).file(o.object)
  const attempts = o.attempts ?? 6
  const base = o.retryBaseMs ?? retryBaseMs(1000)
  let resumes = 0
  let sentBytes = 0
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) throw new InterruptedError('Interrupted before the upload finished; re-run to upload it.')
    try {
      const read = fs.createReadStream(o.file, {highWaterMark: 1024 * 1024})
      const write = file.createWriteStream({
        resumable: false,
        validation: false,
        metadata: objectMetadata(o),
      })
      let last = 0
      read.on('data', (c) => {
        sentBytes += c.length
        last += c.length
        o.onProgress?.(last, o.digests.bytes)
      })
      await pipeUpload(read, write, o.signal)
      break
    } catch (error) {
      if (o.signal.aborted) throw new InterruptedError('Interrupted before the upload finished; re-run to upload it.')
      if (!retryable(error) || attempt >= attempts) throw storageError(error, ctx)
      resumes++
      await waitBeforeRetry(o, error, attempt, attempts, base, 'sending it again')
    }
  }
  // The upload's answer is the stored object's metadata.
  return {
    remote: await verifyStored(o, toRemote(file.metadata as Record<string, any>)),
    resumedFrom: 0,
    resumes,
    sentBytes,
  }
}

/** Upload through a resumable session, resuming from the acknowledged offset after a cut. */
async function uploadResumable(o: UploadOptions): Promise<UploadOutcome> {
  const ctx = {bucket: o.bucket, action: `uploading ${o.object}`, endpoint: o.clients.endpoint}
  const file = o.clients.uploads.bucket(o.bucket).file(o.object)
  const stateFile = statePath(o.stateDir, o.bucket, o.object)
  let state = await readState(stateFile)
  if (
    state &&
    (state.md5 !== o.digests.md5 ||
      state.bytes !== o.digests.bytes ||
      state.bucket !== o.bucket ||
      state.object !== o.object)
  )
    state = undefined
  const resumedFrom = state?.offset ?? 0
  const attempts = o.attempts ?? 6
  const base = o.retryBaseMs ?? retryBaseMs(1000)
  let resumes = 0
  let sentBytes = 0
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) throw new InterruptedError('Interrupted: the upload session is kept; re-run to resume it.')
    try {
      if (!state) {
        const [uri] = await file.createResumableUpload({
          metadata: objectMetadata(o),
        })
        state = {uri, bucket: o.bucket, object: o.object, md5: o.digests.md5, bytes: o.digests.bytes, offset: 0}
        await writeState(stateFile, state)
      }
      const s = state
      const read = fs.createReadStream(o.file, {start: s.offset})
      const write = file.createWriteStream({
        uri: s.uri,
        offset: s.offset,
        resumable: true,
        validation: false,
        chunkSize: o.chunkBytes,
        metadata: {contentLength: o.digests.bytes},
      })
      write.on('response', (resp: {status: number; headers?: Record<string, string>}) => {
        const range = resp.headers?.range
        if (resp.status === 308 && typeof range === 'string') {
          s.offset = Number(range.split('-')[1]) + 1
          void writeState(stateFile, s).catch(() => {})
        }
      })
      let furthest = s.offset
      write.on('progress', (p: {bytesWritten?: number}) => {
        if (typeof p.bytesWritten !== 'number') return
        // Bytes handed to the connection in this attempt (re-sent bytes after a cut count again).
        if (p.bytesWritten > furthest) {
          sentBytes += p.bytesWritten - furthest
          furthest = p.bytesWritten
        }
        o.onProgress?.(p.bytesWritten, o.digests.bytes)
      })
      await pipeUpload(read, write, o.signal)
      break
    } catch (error) {
      if (o.signal.aborted) throw new InterruptedError('Interrupted: the upload session is kept; re-run to resume it.')
      const status = statusOf(error)
      if (status === 404 || status === 410) {
        // The session expired (a week) or was finalised elsewhere: start a new one.
        o.onWarning?.(`${o.object}: the upload session is gone (${status}); starting a new one.`)
        state = undefined
        await fsp.rm(stateFile, {force: true})
      } else if (!retryable(error) || attempt >= attempts) {
        throw storageError(error, ctx)
      }
      resumes++
      await waitBeforeRetry(
        o,
        error,
        attempt,
        attempts,
        base,
        `resuming at byte ${state?.offset ?? 0} of ${o.digests.bytes}`,
      )
    }
  }
  await fsp.rm(stateFile, {force: true})
  // What the bucket now holds must be what was sent.
  const remote = await statObject(o.clients.storage.bucket(o.bucket), o.object).catch((e) => {
    throw storageError(e, {...ctx, action: `reading back ${o.object}`})
  })
  return {remote: await verifyStored(o, remote), resumedFrom, resumes, sentBytes}
}

/** The stored object must be the local file: else it is deleted and LAKE_INTEGRITY_MISMATCH. */
async function verifyStored(o: UploadOptions, remote: RemoteObject | undefined): Promise<RemoteObject> {
  if (
    !remote ||
    remote.bytes !== o.digests.bytes ||
    (remote.crc32c && remote.crc32c !== o.digests.crc32c) ||
    (remote.md5 && remote.md5 !== o.digests.md5)
  ) {
    await o.clients.storage
      .bucket(o.bucket)
      .file(o.object)
      .delete()
      .catch(() => {})
    throw new DezcError({
      code: 'LAKE_INTEGRITY_MISMATCH',
      message: `gs://${o.bucket}/${o.object} does not match the local file after the upload (local ${o.digests.bytes} bytes crc32c ${o.digests.crc32c} md5 ${o.digests.md5}; stored ${remote ? `${remote.bytes} bytes crc32c ${remote.crc32c} md5 ${remote.md5}` : 'nothing'}). The object was deleted.`,
      suggestion: 'Re-run the upload; if it persists, something between here and the bucket alters the data.',
      exit: ExitCode.FAILURE,
    })
  }
  return remote
}
