/** Docker's multiplexed log/exec stream format (8-byte frame headers), for non-follow Buffers. */
import type {Writable} from 'node:stream'

/** Demultiplex a non-follow logs Buffer (8-byte frame headers) into text. */
export function demuxBuffer(buf: Buffer): string {
  const out: Buffer[] = []
  demuxFrames(buf, (_type, chunk) => out.push(chunk))
  return Buffer.concat(out).toString('utf8')
}

export function demuxBufferTo(buf: Buffer, out: Writable, err: Writable): void {
  demuxFrames(buf, (type, chunk) => (type === 2 ? err : out).write(chunk))
}

function demuxFrames(buf: Buffer, onFrame: (type: number, chunk: Buffer) => void): void {
  let i = 0
  while (i + 8 <= buf.length) {
    const type = buf[i]
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) {
      onFrame(1, buf.subarray(i)) // not multiplexed (TTY container): pass through
      return
    }
    const len = buf.readUInt32BE(i + 4)
    onFrame(type, buf.subarray(i + 8, i + 8 + len))
    i += 8 + len
  }
}
