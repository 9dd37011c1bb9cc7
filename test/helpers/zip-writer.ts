/** Build small ZIP archives in memory for tests (stored or deflated entries, Unix modes, optional data descriptors). */
import zlib from 'node:zlib'

export interface ZipInput {
  name: string
  data: Buffer | string
  mode?: number
  /** Store instead of deflate. */
  store?: boolean
}

export function makeZip(entries: ZipInput[], opts: {dataDescriptor?: boolean} = {}): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data)
    const body = e.store ? data : zlib.deflateRawSync(data)
    const crc = zlib.crc32(data) >>> 0
    const name = Buffer.from(e.name)
    const method = e.store ? 0 : 8
    const flags = opts.dataDescriptor ? 0x8 : 0
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    // With a data descriptor (as streamed zips and Go's archive/zip write) the local sizes are 0.
    local.writeUInt32LE(opts.dataDescriptor ? 0 : crc, 14)
    local.writeUInt32LE(opts.dataDescriptor ? 0 : body.length, 18)
    local.writeUInt32LE(opts.dataDescriptor ? 0 : data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    const parts = [local, name, body]
    if (opts.dataDescriptor) {
      const dd = Buffer.alloc(16)
      dd.writeUInt32LE(0x08074b50, 0)
      dd.writeUInt32LE(crc, 4)
      dd.writeUInt32LE(body.length, 8)
      dd.writeUInt32LE(data.length, 12)
      parts.push(dd)
    }
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(flags, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(body.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE((((e.mode ?? 0o644) | 0o100000) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    const local_ = Buffer.concat(parts)
    locals.push(local_)
    offset += local_.length
  }
  const cd = Buffer.concat(centrals)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, eocd])
}
