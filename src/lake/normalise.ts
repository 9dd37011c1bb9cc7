/**
 * A TLC month rewritten to the dataset's canonical schema with DuckDB (the same column mapping as
 * `dezc ingest`: case-insensitive names, one type per column, NULL-typed and missing columns cast,
 * unknown columns dropped with a warning), so every month in the bucket has identical columns and
 * types and one external table can span years. Cached by the source file's sha256: the same source
 * gives the same bytes, which is what makes a re-upload a no-op.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import type {DatasetSpec} from '../ingest/datasets.js'
import {describeSource, duckConnect, relation, sqlString, type SourceFormat} from '../ingest/reader.js'
import {planColumns, quoteDuckIdent} from '../ingest/schema-map.js'

/** Bump when the output layout changes (a new version re-normalises cached months). */
export const CANONICAL_VERSION = 'canonical-v1'

export interface Normalised {
  path: string
  rows: number
  fromCache: boolean
  /** Canonical columns the file lacked (written as NULL). */
  missing: string[]
  /** File columns outside the canonical schema (not written). */
  dropped: string[]
}

interface Meta {
  sourceSha256: string
  version: string
  rows: number
  missing: string[]
  dropped: string[]
}

/** The SELECT list that casts a file's columns to the canonical schema (also shown by --dry-run). */
export function canonicalSelect(exprs: Array<{name: string; expr: string}>): string {
  return exprs.map((c) => `${c.expr} AS ${quoteDuckIdent(c.name)}`).join(', ')
}

export async function normalise(o: {
  source: string
  sourceSha256: string
  /** parquet (the TLC) or csv / csv.gz (the course's backup releases, an ingest --file). */
  format?: SourceFormat
  spec: DatasetSpec
  period: string
  outDir: string
  label: string
}): Promise<Normalised> {
  const out = path.join(o.outDir, o.spec.name, `${o.spec.name}_tripdata_${o.period}.parquet`)
  const metaFile = `${out}.meta.json`
  const cached = await fsp
    .readFile(metaFile, 'utf8')
    .then((t) => JSON.parse(t) as Meta)
    .catch(() => undefined)
  if (
    cached &&
    cached.sourceSha256 === o.sourceSha256 &&
    cached.version === CANONICAL_VERSION &&
    (await fsp.stat(out).catch(() => undefined))
  ) {
    return {path: out, rows: cached.rows, fromCache: true, missing: cached.missing, dropped: cached.dropped}
  }
  await fsp.mkdir(path.dirname(out), {recursive: true})
  const conn = await duckConnect()
  try {
    const format = o.format ?? 'parquet'
    const info = await describeSource(conn, o.source, format, o.label)
    const plan = planColumns({columns: o.spec.columns, fileColumns: info.columns, table: o.spec.name, file: o.label})
    const canonical = new Set(o.spec.columns.map((c) => c.name))
    const cols = plan.columns.filter((c) => canonical.has(c.name))
    const tmp = `${out}.tmp`
    await conn.run(
      `COPY (SELECT ${canonicalSelect(cols)} FROM ${relation(o.source, format)}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
    )
    const counted = await conn.runAndReadAll(
      `SELECT CAST(sum(num_rows) AS DOUBLE) AS n FROM parquet_file_metadata(${sqlString(tmp)})`,
    )
    const rows = Number(counted.getRowObjects()[0]?.n ?? 0)
    if (info.rows !== undefined && rows !== info.rows)
      throw new Error(`normalising ${o.label} wrote ${rows} rows of ${info.rows}`)
    await fsp.rename(tmp, out)
    const meta: Meta = {
      sourceSha256: o.sourceSha256,
      version: CANONICAL_VERSION,
      rows,
      missing: plan.missing,
      dropped: plan.extra.map((e) => e.name),
    }
    await fsp.writeFile(metaFile, JSON.stringify(meta))
    return {path: out, rows, fromCache: false, missing: meta.missing, dropped: meta.dropped}
  } finally {
    conn.closeSync()
  }
}
