/** Build small ZIP archives in memory for tests, with yazl (stored or deflated entries, Unix modes, optional data descriptors). */
import {Readable} from 'node:stream'
import yazl from 'yazl'

export interface ZipInput {
  name: string
  data: Buffer | string
  mode?: number
  /** Store instead of deflate. */
  store?: boolean
}

export async function makeZip(entries: ZipInput[], opts: {dataDescriptor?: boolean} = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data)
    const options = {mode: (e.mode ?? 0o644) | 0o100000, compress: !e.store, mtime: new Date(Date.UTC(2024, 0, 1))}
    // A stream of unknown length makes yazl write a data descriptor, as streamed zips and Go's archive/zip do.
    if (opts.dataDescriptor) zip.addReadStream(Readable.from([data]), e.name, options)
    else zip.addBuffer(data, e.name, options)
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
