/** A private PostgreSQL 15, a loopback mirror at <url>trip-data/, a client and a scratch dir for ingest CLI tests. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import {startFileServer, type FileServer} from './file-server.js'
import {startPostgres, type PgServer} from './postgres.js'

export interface IngestFixture {
  db: PgServer
  srv: FileServer
  client: pg.Client
  dir: string
  /** The mirror's trip-data/ URL (zones are served beside it under misc/). */
  base: string
}

export async function startIngestFixture(prefix: string): Promise<IngestFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const [db, srv] = await Promise.all([startPostgres(), startFileServer({missingStatus: 403})])
  const client = new pg.Client({connectionString: db.url})
  await client.connect()
  return {db, srv, client, dir, base: `${srv.url}/trip-data/`}
}

export async function stopIngestFixture(f: Partial<IngestFixture>): Promise<void> {
  await f.client?.end()
  await f.srv?.close()
  await f.db?.stop()
  if (f.dir) fs.rmSync(f.dir, {recursive: true, force: true})
}
