/**
 * PostgreSQL binary COPY encoder that works column by column over DuckDB vectors (typed arrays),
 * never building per-value objects: pass 1 sizes every row, pass 2 writes each column in one tight
 * loop at each row's cursor. Measured at ~2 M rows/s encode-only (shared/notes/ingest-performance.md §7).
 *
 * Format: signature "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length; per tuple int16 field
 * count then per field int32 length (-1 = NULL) and big-endian bytes; trailer int16 -1.
 */
import type {PgKind} from './datasets.js'

export const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)])
export const COPY_TRAILER = Buffer.from([0xff, 0xff])

/** µs between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch): 0x00035D01_3B37E000. */
const PG_EPOCH_HI = 0x00035d01
const PG_EPOCH_LO = 0x3b37e000
/** Days between 1970-01-01 and 2000-01-01. */
const PG_EPOCH_DAYS = 10957

/**
 * One column of one chunk, in DuckDB's in-memory layout.
 * - int8/timestamp: `words` = the BigInt64Array's buffer viewed as Int32Array (low, high) pairs.
 * - int4/date: Int32Array; int2: Int16Array; float8: Float64Array; float4: Float32Array; bool: Uint8Array.
 * - text: `structs` = the 16-byte duckdb_string_t array (uint32 length, then 12 inline bytes or a
 *   pointer); strings longer than 12 bytes are fetched with `longString(i)`.
 * - const8: the same int8 value in every row (the load id).
 * `valid` is the validity bitmask (LSB first) or null when the column has no NULLs.
 */
export type EncColumn =
  | {kind: 'int8' | 'timestamp'; words: Int32Array; valid: Uint8Array | null}
  | {kind: 'int4' | 'date'; values: Int32Array; valid: Uint8Array | null}
  | {kind: 'int2'; values: Int16Array; valid: Uint8Array | null}
  | {kind: 'float8'; values: Float64Array; valid: Uint8Array | null}
  | {kind: 'float4'; values: Float32Array; valid: Uint8Array | null}
  | {kind: 'bool'; values: Uint8Array; valid: Uint8Array | null}
  | {kind: 'text'; structs: Uint8Array; valid: Uint8Array | null; longString: (i: number) => string}
  | {kind: 'const8'; value: bigint}

const WIDTH: Record<string, number> = {
  int8: 8,
  timestamp: 8,
  int4: 4,
  date: 4,
  int2: 2,
  float8: 8,
  float4: 4,
  bool: 1,
  const8: 8,
}

/** The encoder kind used for a target column kind (timestamptz is written like timestamp). */
export function encoderKind(kind: PgKind): Exclude<EncColumn['kind'], 'const8'> {
  return kind === 'timestamptz' ? 'timestamp' : kind
}

function isValid(valid: Uint8Array | null, i: number): boolean {
  return valid === null || (valid[i >> 3] & (1 << (i & 7))) !== 0
}

/** Encode `n` rows of `cols` as binary COPY tuples (no header/trailer). */
export function encodeRows(cols: EncColumn[], n: number): Buffer {
  const ncols = cols.length
  const rowBase = 2 + 4 * ncols
  const cursor = new Int32Array(n)
  let fixed = rowBase
  for (const col of cols) {
    if (col.kind === 'const8') {
      fixed += 8
    } else if (col.kind === 'text') {
      const {structs, valid} = col
      const dv = new DataView(structs.buffer, structs.byteOffset, n * 16)
      for (let i = 0; i < n; i++) if (isValid(valid, i)) cursor[i] += dv.getUint32(i * 16, true)
    } else if (col.valid === null) {
      fixed += WIDTH[col.kind]
    } else {
      const w = WIDTH[col.kind]
      const valid = col.valid
      for (let i = 0; i < n; i++) if ((valid[i >> 3] & (1 << (i & 7))) !== 0) cursor[i] += w
    }
  }
  // Prefix sum: cursor[i] becomes the start of row i.
  let total = 0
  for (let i = 0; i < n; i++) {
    const size = cursor[i] + fixed
    cursor[i] = total
    total += size
  }
  const buf = Buffer.allocUnsafe(total)
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length)
  for (let i = 0; i < n; i++) {
    dv.setInt16(cursor[i], ncols)
    cursor[i] += 2
  }
  for (const col of cols) writeColumn(col, n, buf, dv, cursor)
  return buf
}

// One hand-written loop per type on purpose: monomorphic tight loops are what make the encoder
// ~3x faster than a per-field closure (notes/ingest-performance.md §7); do not fold them together.
function writeColumn(col: EncColumn, n: number, buf: Buffer, dv: DataView, cursor: Int32Array): void {
  switch (col.kind) {
    case 'const8': {
      const hi = Number(BigInt.asIntN(32, col.value >> 32n))
      const lo = Number(BigInt.asIntN(32, col.value))
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        dv.setInt32(c, 8)
        dv.setInt32(c + 4, hi)
        dv.setInt32(c + 8, lo)
        cursor[i] = c + 12
      }
      return
    }
    case 'int8': {
      const {words, valid} = col
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (valid !== null && (valid[i >> 3] & (1 << (i & 7))) === 0) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        dv.setInt32(c, 8)
        dv.setInt32(c + 4, words[2 * i + 1])
        dv.setInt32(c + 8, words[2 * i])
        cursor[i] = c + 12
      }
      return
    }
    case 'timestamp': {
      const {words, valid} = col
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (valid !== null && (valid[i >> 3] & (1 << (i & 7))) === 0) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        // µs since 1970 -> µs since 2000, as two 32-bit words with a borrow (no BigInt).
        let lo = (words[2 * i] >>> 0) - PG_EPOCH_LO
        let hi = words[2 * i + 1] - PG_EPOCH_HI
        if (lo < 0) {
          lo += 0x100000000
          hi -= 1
        }
        dv.setInt32(c, 8)
        dv.setInt32(c + 4, hi)
        dv.setUint32(c + 8, lo)
        cursor[i] = c + 12
      }
      return
    }
    case 'float8': {
      const {values, valid} = col
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (valid !== null && (valid[i >> 3] & (1 << (i & 7))) === 0) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        dv.setInt32(c, 8)
        dv.setFloat64(c + 4, values[i])
        cursor[i] = c + 12
      }
      return
    }
    case 'float4': {
      const {values, valid} = col
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (!isValid(valid, i)) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        dv.setInt32(c, 4)
        dv.setFloat32(c + 4, values[i])
        cursor[i] = c + 8
      }
      return
    }
    case 'int4':
    case 'date': {
      const {values, valid} = col
      const shift = col.kind === 'date' ? PG_EPOCH_DAYS : 0
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (!isValid(valid, i)) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        dv.setInt32(c, 4)
        dv.setInt32(c + 4, values[i] - shift)
        cursor[i] = c + 8
      }
      return
    }
    case 'int2': {
      const {values, valid} = col
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (!isValid(valid, i)) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        dv.setInt32(c, 2)
        dv.setInt16(c + 4, values[i])
        cursor[i] = c + 6
      }
      return
    }
    case 'bool': {
      const {values, valid} = col
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (!isValid(valid, i)) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        dv.setInt32(c, 1)
        buf[c + 4] = values[i] ? 1 : 0
        cursor[i] = c + 5
      }
      return
    }
    case 'text': {
      const {structs, valid, longString} = col
      const sv = new DataView(structs.buffer, structs.byteOffset, n * 16)
      for (let i = 0; i < n; i++) {
        const c = cursor[i]
        if (!isValid(valid, i)) {
          dv.setInt32(c, -1)
          cursor[i] = c + 4
          continue
        }
        const len = sv.getUint32(i * 16, true)
        dv.setInt32(c, len)
        if (len <= 12) {
          // Inline string: DuckDB stores UTF-8 bytes, exactly what COPY wants.
          const from = i * 16 + 4
          for (let k = 0; k < len; k++) buf[c + 4 + k] = structs[from + k]
        } else {
          buf.write(longString(i), c + 4, len, 'utf8')
        }
        cursor[i] = c + 4 + len
      }
      return
    }
  }
}

/**
 * Build a text column in DuckDB's layout from JS strings (unit tests and small sources).
 * Inline strings are stored in the structs; longer ones are served by longString.
 */
export function textColumnFromStrings(values: Array<string | null>): Extract<EncColumn, {kind: 'text'}> {
  const n = values.length
  const structs = new Uint8Array(n * 16)
  const dv = new DataView(structs.buffer)
  const valid = new Uint8Array(Math.ceil(n / 8))
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v === null) continue
    valid[i >> 3] |= 1 << (i & 7)
    const bytes = Buffer.from(v, 'utf8')
    dv.setUint32(i * 16, bytes.length, true)
    if (bytes.length <= 12) structs.set(bytes, i * 16 + 4)
  }
  return {kind: 'text', structs, valid, longString: (i) => values[i] as string}
}
