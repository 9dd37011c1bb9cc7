/**
 * Take one file out of a terraform release zip (~30 MB, a handful of entries) with yauzl, which
 * reads the central directory (authoritative when local headers defer sizes to a data descriptor,
 * as Go's archive/zip does). yauzl checks sizes, not the CRC-32: that is checked here. yauzl is
 * imported on first use, like the download it follows.
 */
import zlib from 'node:zlib'
import type {Entry, ZipFile} from 'yauzl'

export interface ZipEntry {
  name: string
  size: number
  crc32: number
  /** Unix mode bits when the zip was made on Unix (external attributes >> 16). */
  unixMode?: number
}

export class ZipError extends Error {}

/** A zip file on disk (path) or in memory, entry by entry; `visit` returning true stops early. */
async function eachEntry(
  source: string | Buffer,
  visit: (entry: Entry, zip: ZipFile) => Promise<boolean | void>,
): Promise<void> {
  const yauzl = await import('yauzl')
  let zip: ZipFile
  try {
    zip =
      typeof source === 'string'
        ? await yauzl.openPromise(source, {lazyEntries: true})
        : await yauzl.fromBufferPromise(source, {lazyEntries: true})
  } catch (error) {
    throw new ZipError(`not a zip file (${(error as Error).message})`)
  }
  try {
    for (;;) {
      const entry = await new Promise<Entry | undefined>((resolve, reject) => {
        zip
          .once('entry', resolve)
          .once('end', () => resolve(undefined))
          .once('error', reject)
        zip.readEntry()
      }).catch((error: Error) => {
        throw new ZipError(`corrupt zip: ${error.message}`)
      })
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error')
      if (!entry || (await visit(entry, zip))) return
    }
  } finally {
    zip.close()
  }
}

function toZipEntry(e: Entry): ZipEntry {
  const entry: ZipEntry = {name: e.fileName, size: e.uncompressedSize, crc32: e.crc32}
  if (e.versionMadeBy >> 8 === 3) entry.unixMode = (e.externalFileAttributes >>> 16) & 0o7777
  return entry
}

export async function listZip(source: string | Buffer): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = []
  await eachEntry(source, async (e) => void entries.push(toZipEntry(e)))
  return entries
}

/** The content of the entry named `name` (top level of the archive), or undefined. */
export async function extractFile(source: string | Buffer, name: string): Promise<Buffer | undefined> {
  let found: Buffer | undefined
  await eachEntry(source, async (e, zip) => {
    if (e.fileName !== name) return false
    if (e.isEncrypted()) throw new ZipError(`${name} is encrypted`)
    const chunks: Buffer[] = []
    try {
      for await (const chunk of await zip.openReadStreamPromise(e)) chunks.push(chunk as Buffer)
    } catch (error) {
      throw new ZipError(`cannot read ${name}: ${(error as Error).message}`)
    }
    found = Buffer.concat(chunks)
    if (zlib.crc32(found) >>> 0 !== e.crc32 >>> 0) throw new ZipError(`CRC-32 mismatch for ${name}`)
    return true
  })
  return found
}
