/**
 * A minimal ZIP reader for one job: take one file out of a terraform release zip (~30 MB, a
 * handful of entries). Node has inflate but no unzip; this avoids a dependency. It reads the
 * central directory (authoritative even when local headers defer sizes to a data descriptor, as
 * streamed zips and Go's archive/zip do), supports "stored" and "deflate" entries, and checks
 * the CRC-32. ZIP64 and encryption are rejected with a clear error (terraform zips use neither).
 */
import zlib from 'node:zlib'

export interface ZipEntry {
  name: string
  method: number
  crc32: number
  compressedSize: number
  size: number
  localHeaderOffset: number
  /** Unix mode bits when the zip was made on Unix (external attributes >> 16). */
  unixMode?: number
}

export class ZipError extends Error {}

const EOCD_SIG = 0x06054b50
const CEN_SIG = 0x02014b50
const LOC_SIG = 0x04034b50

export function listZip(buf: Buffer): ZipEntry[] {
  // End of central directory: 22 bytes + up to 65,535 bytes of comment, searched from the end.
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new ZipError('not a zip file (no end-of-central-directory record)')
  const count = buf.readUInt16LE(eocd + 10)
  const cdSize = buf.readUInt32LE(eocd + 12)
  const cdOffset = buf.readUInt32LE(eocd + 16)
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported')
  if (cdOffset + cdSize > buf.length) throw new ZipError('truncated zip file (central directory beyond the end)')
  const entries: ZipEntry[] = []
  let p = cdOffset
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CEN_SIG) throw new ZipError('corrupt zip central directory')
    const versionMadeBy = buf.readUInt16LE(p + 4)
    const flags = buf.readUInt16LE(p + 8)
    if (flags & 0x1) throw new ZipError('encrypted zip entries are not supported')
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const external = buf.readUInt32LE(p + 38)
    const entry: ZipEntry = {
      method: buf.readUInt16LE(p + 10),
      crc32: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      size: buf.readUInt32LE(p + 24),
      localHeaderOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf8', p + 46, p + 46 + nameLen),
    }
    if (versionMadeBy >> 8 === 3) entry.unixMode = (external >>> 16) & 0o7777
    entries.push(entry)
    p += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

export function readZipEntry(buf: Buffer, entry: ZipEntry): Buffer {
  const h = entry.localHeaderOffset
  if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOC_SIG) throw new ZipError(`corrupt local header for ${entry.name}`)
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28)
  const end = start + entry.compressedSize
  if (end > buf.length) throw new ZipError(`truncated data for ${entry.name}`)
  const raw = buf.subarray(start, end)
  let data: Buffer
  if (entry.method === 0) data = Buffer.from(raw)
  else if (entry.method === 8) {
    try {
      data = zlib.inflateRawSync(raw)
    } catch (error) {
      throw new ZipError(`cannot inflate ${entry.name}: ${(error as Error).message}`)
    }
  } else throw new ZipError(`unsupported compression method ${entry.method} for ${entry.name}`)
  if (data.length !== entry.size) throw new ZipError(`size mismatch for ${entry.name}: ${data.length} != ${entry.size}`)
  if (zlib.crc32(data) >>> 0 !== entry.crc32 >>> 0) throw new ZipError(`CRC-32 mismatch for ${entry.name}`)
  return data
}

/** The content of the entry named `name` (top level of the archive), or undefined. */
export function extractFile(buf: Buffer, name: string): Buffer | undefined {
  const entry = listZip(buf).find((e) => e.name === name)
  return entry ? readZipEntry(buf, entry) : undefined
}
