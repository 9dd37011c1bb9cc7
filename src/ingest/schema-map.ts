/**
 * Map a file's columns onto a dataset's canonical schema and onto the target table (which may
 * already exist, possibly created by someone else). Pure: the result says which columns to
 * create or add and the DuckDB expression that yields each target column with a stable type.
 */
import {DezcError, ExitCode} from '../core/errors.js'
import type {CanonicalColumn, PgKind} from './datasets.js'

export interface FileColumn {
  name: string
  /** DuckDB type name as printed by DESCRIBE (BIGINT, DOUBLE, VARCHAR, "NULL", STRUCT(...), ...). */
  type: string
}

export interface TableColumn {
  name: string
  /** PostgreSQL type name (pg_type.typname: int8, float8, text, timestamp, ...). */
  pgType: string
}

export interface PlannedColumn {
  /** Column name in the table. */
  name: string
  kind: PgKind
  /** File column feeding it; undefined => NULL. */
  source?: string
  sourceType?: string
  /** DuckDB SQL expression producing the value with the encoder's type. */
  expr: string
}

export interface ColumnPlan {
  columns: PlannedColumn[]
  /** Columns to create (table missing) or to ADD (table exists), nullable. */
  create?: CanonicalColumn[]
  add: CanonicalColumn[]
  /** Canonical columns absent from the file (loaded as NULL). */
  missing: string[]
  /** File columns outside the canonical schema, kept as new nullable columns. */
  extra: FileColumn[]
  warnings: string[]
}

/** The lineage column: which ledger load wrote each row. */
export const LOAD_ID_COLUMN = 'dezc_load_id'

export const PG_TYPE_OF_KIND: Record<PgKind, string> = {
  int8: 'bigint',
  int4: 'integer',
  int2: 'smallint',
  float8: 'double precision',
  float4: 'real',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  bool: 'boolean',
  text: 'text',
}

const DUCK_TYPE_OF_KIND: Record<PgKind, string> = {
  int8: 'BIGINT',
  int4: 'INTEGER',
  int2: 'SMALLINT',
  float8: 'DOUBLE',
  float4: 'FLOAT',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMP',
  date: 'DATE',
  bool: 'BOOLEAN',
  text: 'VARCHAR',
}

/** pg_type.typname -> encoder kind (the types the binary encoder writes). */
const KIND_OF_PG_TYPE: Record<string, PgKind> = {
  int8: 'int8',
  int4: 'int4',
  int2: 'int2',
  float8: 'float8',
  float4: 'float4',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  date: 'date',
  bool: 'bool',
  text: 'text',
  varchar: 'text',
}

export function quoteDuckIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function duckType(kind: PgKind): string {
  return DUCK_TYPE_OF_KIND[kind]
}

/** Canonical kind for a file column that the dataset does not know (an extra column). */
export function kindForDuckType(type: string): PgKind | undefined {
  const t = type.toUpperCase()
  if (['BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT', 'HUGEINT'].includes(t))
    return 'int8'
  if (t === 'UBIGINT') return 'float8'
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'float8'
  if (t.startsWith('TIMESTAMP')) return 'timestamp'
  if (t === 'DATE') return 'date'
  if (t === 'BOOLEAN') return 'bool'
  if (t === 'VARCHAR') return 'text'
  if (t === '"NULL"' || t === 'NULL') return 'float8'
  return undefined
}

/** Source types that no cast turns into a scalar column. */
function isNestedOrBinary(type: string): boolean {
  const t = type.toUpperCase()
  return /^(STRUCT|MAP|UNION)\(/.test(t) || t.endsWith(']') || t === 'BLOB' || t === 'BIT' || t === 'INTERVAL'
}

export interface PlanOptions {
  columns: CanonicalColumn[]
  fileColumns: FileColumn[]
  /** Existing table columns, or undefined when the table does not exist yet. */
  tableColumns?: TableColumn[]
  strict?: boolean
  table: string
  file: string
}

export function planColumns(o: PlanOptions): ColumnPlan {
  const byLower = new Map<string, FileColumn>()
  for (const f of o.fileColumns) byLower.set(f.name.toLowerCase(), f)
  const canonicalLower = new Set(o.columns.map((c) => c.name.toLowerCase()))
  const extra = o.fileColumns.filter(
    (f) => !canonicalLower.has(f.name.toLowerCase()) && f.name.toLowerCase() !== LOAD_ID_COLUMN,
  )
  const warnings: string[] = []
  if (extra.length > 0 && o.strict) {
    throw new DezcError({
      code: 'UNKNOWN_COLUMN',
      message: `${o.file} has column${extra.length > 1 ? 's' : ''} ${extra.map((e) => `"${e.name}" (${e.type})`).join(', ')} that the canonical schema does not know, and --strict is set.`,
      suggestion: 'Re-run without --strict to add the new column(s) to the table as nullable columns.',
      exit: ExitCode.FAILURE,
    })
  }
  const desired: CanonicalColumn[] = [...o.columns]
  for (const e of extra) {
    const kind = kindForDuckType(e.type)
    if (!kind) {
      throw new DezcError({
        code: 'UNSUPPORTED_COLUMN_TYPE',
        message: `${o.file} has a new column "${e.name}" of type ${e.type}, which dezc cannot load into PostgreSQL.`,
        suggestion: 'Load a file without that column, or report the new TLC column so the canonical schema can map it.',
        exit: ExitCode.FAILURE,
      })
    }
    desired.push({name: e.name, kind})
    warnings.push(
      `${o.file}: new column "${e.name}" (${e.type}) is not in the canonical schema; adding it to ${o.table} as a nullable ${PG_TYPE_OF_KIND[kind]} column (use --strict to refuse).`,
    )
  }
  const missing = o.columns.filter((c) => !byLower.has(c.name.toLowerCase())).map((c) => c.name)

  const add: CanonicalColumn[] = []
  const columns: PlannedColumn[] = []
  for (const want of desired) {
    let name = want.name
    let kind = want.kind
    if (o.tableColumns) {
      const existing =
        o.tableColumns.find((t) => t.name === want.name) ??
        o.tableColumns.find((t) => t.name.toLowerCase() === want.name.toLowerCase())
      if (existing) {
        name = existing.name
        const k = KIND_OF_PG_TYPE[existing.pgType]
        if (!k) {
          throw new DezcError({
            code: 'UNSUPPORTED_TABLE_TYPE',
            message: `Column "${existing.name}" of table ${o.table} has type ${existing.pgType}, which dezc's binary loader does not write.`,
            suggestion: [
              `Load into a new table with --table, or change the column: ALTER TABLE ${o.table} ALTER COLUMN "${existing.name}" TYPE ${PG_TYPE_OF_KIND[want.kind]};`,
            ],
            exit: ExitCode.FAILURE,
          })
        }
        kind = k
      } else {
        add.push(want)
      }
    }
    const src = byLower.get(want.name.toLowerCase())
    if (src && isNestedOrBinary(src.type)) {
      throw castError(o.file, src, name, kind)
    }
    const target = duckType(kind)
    const expr = src ? `CAST(${quoteDuckIdent(src.name)} AS ${target})` : `CAST(NULL AS ${target})`
    columns.push({name, kind, source: src?.name, sourceType: src?.type, expr})
  }
  return {columns, create: o.tableColumns ? undefined : desired, add, missing, extra, warnings}
}

export function castError(file: string, src: FileColumn, target: string, kind: PgKind, detail?: string): DezcError {
  return new DezcError({
    code: 'UNCASTABLE_COLUMN',
    message: `Column "${src.name}" in ${file} has type ${src.type}, which cannot be cast to ${PG_TYPE_OF_KIND[kind]} (target column "${target}")${detail ? `: ${detail}` : ''}.`,
    suggestion: [
      'Check that the file is the dataset you named (yellow, green, fhv, fhvhv) and not another export.',
      'Or load it into a new table with --table.',
    ],
    exit: ExitCode.FAILURE,
  })
}

/**
 * The DDL that makes the table fit the plan: CREATE TABLE (canonical columns + the lineage column,
 * with its comment) for a new table, else ADD COLUMN for what it lacks. `typeOf` names each kind in
 * the target's SQL (Postgres or DuckDB); `ledger` is the ledger table the comment points at.
 */
export function tableDdl(
  qt: string,
  plan: ColumnPlan,
  existing: TableColumn[] | undefined,
  typeOf: (kind: PgKind) => string,
  ledger: string,
): string[] {
  const col = (c: {name: string; kind: PgKind}) => `${quoteDuckIdent(c.name)} ${typeOf(c.kind)}`
  const loadId = `${quoteDuckIdent(LOAD_ID_COLUMN)} ${typeOf('int8')}`
  if (plan.create)
    return [
      `CREATE TABLE ${qt} (${[...plan.create.map(col), loadId].join(', ')})`,
      `COMMENT ON COLUMN ${qt}.${quoteDuckIdent(LOAD_ID_COLUMN)} IS 'dezc ingest lineage: ${ledger}.load_id of the load that wrote the row'`,
    ]
  const out = plan.add.map((add) => `ALTER TABLE ${qt} ADD COLUMN ${col(add)}`)
  if (!existing?.some((c) => c.name === LOAD_ID_COLUMN)) out.push(`ALTER TABLE ${qt} ADD COLUMN ${loadId}`)
  return out
}
