/** Read a DuckDB database file the way a user's tool would: read-only, no extension downloads. */
import {DuckDBInstance} from '@duckdb/node-api'

/** Run the statements in order; the rows of the last one. */
export async function duckdbRows(file: string, statements: string[]): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(file, {
    access_mode: 'READ_ONLY',
    autoload_known_extensions: 'false',
    autoinstall_known_extensions: 'false',
  })
  const conn = await instance.connect()
  let rows: Array<Record<string, unknown>> = []
  try {
    for (const s of statements) rows = (await conn.runAndReadAll(s)).getRowObjectsJS() as Array<Record<string, unknown>>
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return rows
}
