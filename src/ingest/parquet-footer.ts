/**
 * Just enough of a parquet footer (FileMetaData, thrift compact protocol) to load a file row group
 * by row group while it downloads: where each row group's bytes are, how many rows it has, and a
 * footer for a file that holds only some of them (or none: the schema alone).
 *
 * The rewrite splices the original bytes: every field dezc does not change (schema, statistics,
 * key-value metadata, column orders, fields newer than this code) is copied as it came, so DuckDB
 * reads the same file description. hyparquet + hyparquet-writer could parse and re-serialize it,
 * but their writer rebuilds the thrift from converted values (statistics re-encoded, column orders
 * regenerated, unknown fields dropped) and their raw serializer guesses thrift types from JS
 * values (an integral double becomes an i32): a lossy round trip for what is a copy with three
 * fields changed.
 */

/** Compact protocol type ids. */
const T = {
  STOP: 0,
  TRUE: 1,
  FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const

export class ThriftError extends Error {}

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}

  advance(n: number): void {
    this.pos += n
    if (this.pos > this.buf.length) throw new ThriftError('the footer ends early')
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new ThriftError('the footer ends early')
    return this.buf[this.pos++]
  }

  varint(): number {
    let n = 0
    let mul = 1
    for (;;) {
      const b = this.byte()
      n += (b & 0x7f) * mul
      if (b < 0x80) return n
      mul *= 128
      if (mul > 2 ** 63) throw new ThriftError('varint too long')
    }
  }

  /** zigzag-decoded i16/i32/i64 (exact below 2^53, which covers every offset and count). */
  zigzag(): number {
    const n = this.varint()
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2
  }

  /** A field header: type 0 is the struct's end. */
  field(lastId: number): {type: number; id: number} {
    const b = this.byte()
    const type = b & 0x0f
    if (type === T.STOP) return {type, id: 0}
    const delta = b >> 4
    return {type, id: delta === 0 ? this.zigzag() : lastId + delta}
  }

  listHeader(): {size: number; elem: number} {
    const b = this.byte()
    const short = b >> 4
    return {size: short === 15 ? this.varint() : short, elem: b & 0x0f}
  }

  skip(type: number): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        return
      case T.BYTE:
        this.advance(1)
        return
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint()
        return
      case T.DOUBLE:
        this.advance(8)
        return
      case T.BINARY:
        this.advance(this.varint())
        return
      case T.LIST:
      case T.SET: {
        const {size, elem} = this.listHeader()
        // Booleans inside a list take one byte each.
        for (let i = 0; i < size; i++) {
          if (elem === T.TRUE || elem === T.FALSE) this.advance(1)
          else this.skip(elem)
        }
        return
      }
      case T.MAP: {
        const size = this.varint()
        if (size === 0) return
        const kv = this.byte()
        for (let i = 0; i < size; i++) {
          this.skip(kv >> 4)
          this.skip(kv & 0x0f)
        }
        return
      }
      case T.STRUCT:
        this.eachField(() => undefined)
        return
      default:
        throw new ThriftError(`unknown thrift type ${type}`)
    }
  }

  /** Walk a struct's fields: `visit` reads the value itself (and returns true) or leaves it to be skipped. */
  eachField(visit: (id: number, type: number) => boolean | undefined): void {
    let last = 0
    for (;;) {
      const {type, id} = this.field(last)
      if (type === T.STOP) return
      last = id
      if (!visit(id, type)) this.skip(type)
    }
  }
}

class Writer {
  private parts: Buffer[] = []
  private lastIds: number[] = [0]

  raw(b: Buffer): void {
    this.parts.push(b)
  }

  byte(b: number): void {
    this.parts.push(Buffer.of(b))
  }

  varint(n: bigint): void {
    const out: number[] = []
    let v = n
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    out.push(Number(v))
    this.parts.push(Buffer.from(out))
  }

  zigzag(n: number): void {
    const v = BigInt(n)
    this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n)
  }

  fieldHeader(type: number, id: number): void {
    const last = this.lastIds[this.lastIds.length - 1]
    const delta = id - last
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type)
    else {
      this.byte(type)
      this.zigzag(id)
    }
    this.lastIds[this.lastIds.length - 1] = id
  }

  listHeader(size: number, elem: number): void {
    if (size < 15) this.byte((size << 4) | elem)
    else {
      this.byte(0xf0 | elem)
      this.varint(BigInt(size))
    }
  }

  beginStruct(): void {
    this.lastIds.push(0)
  }

  endStruct(): void {
    this.byte(T.STOP)
    this.lastIds.pop()
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts)
  }
}

/** What a struct field becomes in a rewrite: kept as it was, dropped, or read and written anew by the edit ('done'). */
type Edit = (id: number, type: number, r: Reader, w: Writer) => 'keep' | 'drop' | 'done'

/** Copy the struct at `r.pos` into `w`, field by field, letting `edit` drop or rewrite fields. */
function rewriteStruct(r: Reader, w: Writer, edit: Edit): void {
  w.beginStruct()
  r.eachField((id, type) => {
    const start = r.pos
    const what = edit(id, type, r, w)
    if (what === 'done') return true
    r.skip(type)
    if (what === 'keep') {
      w.fieldHeader(type, id)
      w.raw(r.buf.subarray(start, r.pos))
    }
    return true
  })
  w.endStruct()
}

export interface RowGroupInfo {
  /** Position in the footer's list. */
  index: number
  rows: number
  /** First byte of the row group's column chunks in the file. */
  start: number
  /** One past its last byte. */
  end: number
  /** The RowGroup struct as it is in the footer. */
  raw: Buffer
}

export interface ParquetFooter {
  /** The FileMetaData bytes (without the length and magic that follow it in a file). */
  metadata: Buffer
  rows: number
  /** In the footer's order. */
  rowGroups: RowGroupInfo[]
}

/** A footer this code cannot use row group by row group (then the file is loaded once complete). */
export class UnsupportedFooterError extends Error {}

/** The FileMetaData length from a file's last bytes (`tail` ends with <length><PAR1>). */
export function footerLength(tail: Buffer): number {
  if (tail.length < 8) throw new ThriftError('fewer than 8 bytes')
  const magic = tail.subarray(tail.length - 4).toString('latin1')
  if (magic === 'PARE') throw new UnsupportedFooterError('an encrypted footer')
  if (magic !== 'PAR1') throw new ThriftError('no PAR1 at the end')
  return tail.readUInt32LE(tail.length - 8)
}

export function parseFooter(metadata: Buffer): ParquetFooter {
  const r = new Reader(metadata)
  let rows = -1
  const rowGroups: RowGroupInfo[] = []
  r.eachField((id, type) => {
    if (id === 3 && type === T.I64) {
      rows = r.zigzag()
      return true
    }
    if (id === 8) throw new UnsupportedFooterError('encrypted columns')
    if (id !== 4 || type !== T.LIST) return false
    const {size} = r.listHeader()
    for (let i = 0; i < size; i++) {
      const s = r.pos
      const rg = {index: i, rows: -1, start: Infinity, end: -1}
      r.eachField((gid, gtype) => {
        if (gid === 3 && gtype === T.I64) {
          rg.rows = r.zigzag()
          return true
        }
        if (gid !== 1 || gtype !== T.LIST) return false
        const cols = r.listHeader()
        for (let c = 0; c < cols.size; c++) {
          r.eachField((cid, ctype) => {
            if (cid === 1) throw new UnsupportedFooterError('column chunks in other files')
            if (cid !== 3 || ctype !== T.STRUCT) return false
            let dataPage = -1
            let dictPage = -1
            let size = -1
            r.eachField((mid, mtype) => {
              if (mtype !== T.I64 || (mid !== 7 && mid !== 9 && mid !== 11)) return false
              const v = r.zigzag()
              if (mid === 7) size = v
              else if (mid === 9) dataPage = v
              else dictPage = v
              return true
            })
            if (dataPage < 0 || size < 0) throw new ThriftError('a column chunk without its offsets')
            // Some writers record dictionary_page_offset 0 for "none".
            const start = dictPage > 0 && dictPage < dataPage ? dictPage : dataPage
            rg.start = Math.min(rg.start, start)
            rg.end = Math.max(rg.end, start + size)
            return true
          })
        }
        return true
      })
      if (rg.rows < 0) throw new ThriftError('a row group without num_rows')
      if (rg.end < 0) rg.start = rg.end = 4 // no columns: nothing to wait for
      rowGroups.push({...rg, raw: metadata.subarray(s, r.pos)})
    }
    return true
  })
  if (rows < 0) throw new ThriftError('no num_rows')
  return {metadata, rows, rowGroups}
}

/**
 * A RowGroup without what points outside its own bytes: page indexes (ColumnChunk 4-7) and bloom
 * filters (ColumnMetaData 14-15) sit after the last row group and are not in a one-row-group file.
 */
function ownBytesOnly(rg: Buffer, w: Writer): void {
  rewriteStruct(new Reader(rg), w, (id, type, r, w2) => {
    if (id !== 1 || type !== T.LIST) return 'keep'
    const {size, elem} = r.listHeader()
    w2.fieldHeader(type, id)
    w2.listHeader(size, elem)
    for (let c = 0; c < size; c++)
      rewriteStruct(r, w2, (cid, ctype, r2, w3) => {
        if (cid >= 4 && cid <= 7) return 'drop'
        if (cid !== 3 || ctype !== T.STRUCT) return 'keep'
        w3.fieldHeader(ctype, cid)
        rewriteStruct(r2, w3, (mid) => (mid === 14 || mid === 15 ? 'drop' : 'keep'))
        return 'done'
      })
    return 'done'
  })
}

/** FileMetaData bytes for a file holding only `groups` (in this order): num_rows and row_groups rewritten. */
export function footerFor(footer: ParquetFooter, groups: RowGroupInfo[]): Buffer {
  const w = new Writer()
  rewriteStruct(new Reader(footer.metadata), w, (id, type, r, w2) => {
    if (id === 3 && type === T.I64) {
      r.skip(T.I64)
      w2.fieldHeader(T.I64, 3)
      w2.zigzag(groups.reduce((n, g) => n + g.rows, 0))
      return 'done'
    }
    if (id === 4 && type === T.LIST) {
      w2.fieldHeader(T.LIST, 4)
      w2.listHeader(groups.length, T.STRUCT)
      for (const g of groups) ownBytesOnly(g.raw, w2)
      r.skip(T.LIST)
      return 'done'
    }
    return 'keep'
  })
  return w.bytes()
}

/** The 8 bytes that follow FileMetaData in a file: its length and the magic. */
export function footerTrailer(metadataLength: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(metadataLength, 0)
  b.write('PAR1', 4, 'latin1')
  return b
}

/** Same footer, row groups listed in another order (tests: a file whose row groups are out of offset order). */
export function reorderRowGroups(footer: ParquetFooter, order: number[]): Buffer {
  const w = new Writer()
  rewriteStruct(new Reader(footer.metadata), w, (id, type, r, w2) => {
    if (id !== 4 || type !== T.LIST) return 'keep'
    w2.fieldHeader(T.LIST, 4)
    w2.listHeader(order.length, T.STRUCT)
    for (const i of order) w2.raw(footer.rowGroups[i].raw)
    r.skip(T.LIST)
    return 'done'
  })
  return w.bytes()
}
