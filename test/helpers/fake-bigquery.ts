/**
 * A stand-in for the BigQuery v2 REST API on loopback: stateful, backed by DuckDB, reading the
 * source objects from a real fake-gcs-server. Not BigQuery: it understands only the GoogleSQL that
 * dezc emits (CREATE OR REPLACE EXTERNAL TABLE, CREATE TABLE IF NOT EXISTS ... PARTITION BY
 * DATE(col) CLUSTER BY ..., a BEGIN TRANSACTION; DELETE/INSERT...; COMMIT TRANSACTION; script,
 * SELECT) and what dbt-bigquery's materialisations send (CREATE OR REPLACE VIEW|TABLE ... AS,
 * ALTER ... SET OPTIONS, a seed's CSV through a resumable upload), and answers anything else with
 * a BigQuery-shaped 400. What is real: the rows (load jobs
 * and external tables read the parquet bytes from the fake GCS with DuckDB, so row counts, corrupt
 * files and schema mismatches come from the data), transactions (a failed statement rolls the
 * whole script back), locations (a job in another location than its dataset fails like
 * BigQuery's), and the wire format Google's Node client speaks.
 *
 * Endpoints (under /bigquery/v2/projects/{p}): datasets GET, POST; datasets/{d} GET;
 * datasets/{d}/tables GET, POST; the anonymous result tables of SELECT jobs (and their data);
 * /upload/...jobs (multipart and resumable load jobs);
 * datasets/{d}/tables/{t} GET, DELETE; jobs POST (query, query dryRun, load), jobs/{id} GET;
 * queries/{id} GET (getQueryResults). And Google's OAuth token endpoint for the service-account
 * keys it hands out (POST /token, the JWT-bearer grant, signature checked against the key), so a
 * program that authenticates with a key file (dbt-bigquery's method: service-account) gets a token
 * only with the right key. Dry-run bytes: for native tables the logical bytes of the
 * referenced columns (8 per non-NULL INT64/FLOAT64/TIMESTAMP, 2 + length per STRING; `*` = all),
 * external tables 0 (BigQuery cannot estimate them either); no partition pruning.
 */
import {generateKeyPairSync, randomUUID, verify, type KeyObject} from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type {DuckDBConnection, DuckDBInstance} from '@duckdb/node-api'

interface TableMeta {
  type: 'TABLE' | 'EXTERNAL' | 'VIEW'
  partitioning?: {type: 'DAY'; field: string}
  clustering?: string[]
  uris?: string[]
  created: number
}

interface Dataset {
  location: string
  tables: Map<string, TableMeta>
}

interface JobResource {
  kind: 'bigquery#job'
  id: string
  jobReference: {projectId: string; jobId: string; location: string}
  configuration: Record<string, any>
  status: {state: 'DONE'; errorResult?: BqErrorItem; errors?: BqErrorItem[]}
  statistics: Record<string, any>
}

interface BqErrorItem {
  reason: string
  message: string
  location?: string
  domain?: string
}

interface Result {
  fields: Array<{name: string; type: string; mode: 'NULLABLE'}>
  rows: Array<Array<string | null>>
}

/** A BigQuery error (HTTP status, reason) thrown inside the stand-in. */
class BqFail extends Error {
  constructor(
    readonly http: number,
    readonly reason: string,
    message: string,
  ) {
    super(message)
  }
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
}

export interface ProxiedBqRequest {
  method: string
  path: string
  authorization?: string
  body?: any
}

export class FakeBigQuery {
  url = ''
  readonly requests: ProxiedBqRequest[] = []
  readonly jobs = new Map<string, {job: JobResource; result?: Result}>()
  private readonly datasets = new Map<string, Dataset>()
  private server?: http.Server
  private instance?: DuckDBInstance
  private conn?: DuckDBConnection
  private queue: Promise<unknown> = Promise.resolve()
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-fake-bq-'))

  /** A permission the account lacks: jobs.insert then answers 403 accessDenied as BigQuery does. */
  deny?: string
  /** Tokens Google no longer accepts (expired): answered 401 with Google's UNAUTHENTICATED text. */
  expiredTokens = new Set<string>()

  /** Access tokens the token endpoint issued, by the account that asked. */
  readonly issuedTokens = new Map<string, string>()
  private readonly accountKeys = new Map<string, KeyObject>()
  private readonly uploads = new Map<string, {resource: any; data: string}>()

  constructor(readonly o: {project: string; gcsUrl: string}) {}

  /** A service-account key file's JSON (Google's layout) whose token_uri is this stand-in. */
  serviceAccountKey(name = 'dezc-sa'): Record<string, string> {
    const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    const email = `${name}@${this.o.project}.iam.gserviceaccount.com`
    const keyId = randomUUID().replaceAll('-', '')
    this.accountKeys.set(keyId, publicKey)
    return {
      type: 'service_account',
      project_id: this.o.project,
      private_key_id: keyId,
      private_key: privateKey.export({type: 'pkcs8', format: 'pem'}).toString(),
      client_email: email,
      client_id: '1',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${this.url}/token`,
    }
  }

  /** The JWT-bearer grant: the assertion must be signed by a key this stand-in handed out. */
  private token(raw: string, res: http.ServerResponse): void {
    const form = new URLSearchParams(raw)
    const deny = (why: string) => {
      res.writeHead(400, {'content-type': 'application/json'})
      res.end(JSON.stringify({error: 'invalid_grant', error_description: why}))
    }
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return deny('the stand-in supports the JWT-bearer grant only')
    const [h, p, sig] = (form.get('assertion') ?? '').split('.')
    if (!h || !p || !sig) return deny('Invalid JWT')
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as {kid?: string}
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {iss?: string; aud?: string}
    const key = this.accountKeys.get(header.kid ?? '')
    if (!key || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url')))
      return deny('Invalid JWT Signature.')
    // google-auth names Google's token endpoint as the audience even when token_uri is another.
    if (claims.aud !== 'https://oauth2.googleapis.com/token' && claims.aud !== `${this.url}/token`)
      return deny(`Invalid JWT: audience ${claims.aud}`)
    const token = `ya29.sa-${randomUUID()}`
    this.issuedTokens.set(token, String(claims.iss))
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(JSON.stringify({access_token: token, expires_in: 3600, token_type: 'Bearer'}))
  }

  async start(): Promise<void> {
    const {DuckDBInstance} = await import('@duckdb/node-api')
    this.instance = await DuckDBInstance.create(':memory:', {threads: '2'})
    this.conn = await this.instance.connect()
    this.server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        // One request at a time: DuckDB transactions and the table map never interleave.
        this.queue = this.queue.then(() => this.handle(req, body, res)).catch(() => {})
      })
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    const server = this.server
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
    this.conn?.closeSync()
    fs.rmSync(this.dir, {recursive: true, force: true})
  }

  async addDataset(id: string, location = 'US'): Promise<void> {
    this.datasets.set(id, {location, tables: new Map()})
    await this.db().run(`CREATE SCHEMA IF NOT EXISTS "${id}"`)
  }

  /** Test access: rows of a query run directly in the stand-in's DuckDB (identifiers "ds"."t"). */
  async sql(query: string): Promise<Array<Record<string, unknown>>> {
    return (await this.db().runAndReadAll(query)).getRowObjectsJS() as Array<Record<string, unknown>>
  }

  tableMeta(dataset: string, table: string): TableMeta | undefined {
    return this.datasets.get(dataset)?.tables.get(table)
  }

  clear(): void {
    this.requests.length = 0
  }

  private db(): DuckDBConnection {
    if (!this.conn) throw new Error('stand-in not started')
    return this.conn
  }

  private async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x')
    const method = req.method ?? 'GET'
    if (method === 'POST' && u.pathname === '/token') return this.token(raw, res)
    // A load job with its data in the request (Python's load_table_from_file: dbt seed).
    const upload = /^\/upload(\/bigquery\/v2\/projects\/[^/]+\/jobs)$/.exec(u.pathname)
    const resumable = upload && u.searchParams.get('uploadType') === 'resumable'
    const multipart = upload && !resumable ? parseMultipart(req.headers['content-type'] ?? '', raw) : undefined
    const body = multipart ? multipart.resource : raw && !(resumable && method === 'PUT') ? JSON.parse(raw) : undefined
    if (upload) u.pathname = upload[1]
    this.requests.push({method, path: u.pathname + u.search, authorization: req.headers.authorization, body})
    const send = (status: number, payload?: unknown) => {
      res.writeHead(status, {'content-type': 'application/json; charset=UTF-8'})
      res.end(payload === undefined ? '' : JSON.stringify(payload))
    }
    try {
      if (!/^Bearer \S+/.test(req.headers.authorization ?? ''))
        throw new BqFail(401, 'unauthorized', 'Request is missing required authentication credential.')
      if (this.expiredTokens.has((req.headers.authorization ?? '').replace(/^Bearer /, '')))
        throw new BqFail(
          401,
          'unauthorized',
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        )
      if (resumable) return await this.resumableUpload(req, u, method, body, raw, res)
      const m = /^\/bigquery\/v2\/projects\/([^/]+)(\/.*)$/.exec(u.pathname)
      if (!m) throw new BqFail(404, 'notFound', `Not found: ${u.pathname}`)
      const [, project, rest] = m
      if (project !== this.o.project) throw new BqFail(404, 'notFound', `Not found: Project ${project}`)
      let r: RegExpExecArray | null
      if ((r = /^\/datasets\/([^/]+)$/.exec(rest)) && method === 'GET') return send(200, this.datasetResource(r[1]))
      if (rest === '/datasets' && method === 'GET')
        return send(200, {
          kind: 'bigquery#datasetList',
          datasets: [...this.datasets.keys()].map((d) => this.datasetResource(d)),
        })
      if (rest === '/datasets' && method === 'POST') {
        const id = String(body?.datasetReference?.datasetId ?? '')
        if (this.datasets.has(id)) throw new BqFail(409, 'duplicate', `Already Exists: Dataset ${this.o.project}:${id}`)
        await this.addDataset(id, String(body?.location ?? 'US'))
        return send(200, this.datasetResource(id))
      }
      if ((r = /^\/datasets\/([^/]+)\/tables$/.exec(rest)) && method === 'GET') return send(200, this.tableList(r[1]))
      if ((r = /^\/datasets\/([^/]+)\/tables$/.exec(rest)) && method === 'POST')
        return send(200, await this.insertTable(r[1], body))
      if ((r = /^\/datasets\/_anon\/tables\/anon([^/]+)(\/data)?$/.exec(rest)) && method === 'GET')
        return send(200, this.anonymousTable(r[1], Boolean(r[2]), u))
      if ((r = /^\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(rest))) {
        if (method === 'GET') return send(200, await this.tableResource(r[1], r[2]))
        if (method === 'DELETE') {
          await this.dropTable(r[1], r[2])
          return send(204)
        }
      }
      if (rest === '/jobs' && method === 'POST') {
        if (this.deny)
          throw new BqFail(
            403,
            'accessDenied',
            `Access Denied: Project ${project}: User does not have ${this.deny} permission in project ${project}.`,
          )
        return send(200, await this.insertJob(body, multipart?.data))
      }
      if ((r = /^\/jobs\/([^/]+)$/.exec(rest)) && method === 'GET') return send(200, this.job(r[1]).job)
      if ((r = /^\/queries\/([^/]+)$/.exec(rest)) && method === 'GET') return send(200, this.queryResults(r[1], u))
      throw new BqFail(400, 'invalid', `The BigQuery stand-in does not implement ${method} ${rest}.`)
    } catch (error) {
      const e =
        error instanceof BqFail
          ? error
          : new BqFail(500, 'backendError', `stand-in failure: ${(error as Error).message}`)
      send(e.http, {
        error: {
          code: e.http,
          message: e.message,
          errors: [{message: e.message, domain: 'global', reason: e.reason}],
          status: STATUS[e.http] ?? 'INTERNAL',
        },
      })
    }
  }

  private dataset(id: string): Dataset {
    const d = this.datasets.get(id)
    if (!d) throw new BqFail(404, 'notFound', `Not found: Dataset ${this.o.project}:${id}`)
    return d
  }

  private datasetResource(id: string) {
    const d = this.dataset(id)
    return {
      kind: 'bigquery#dataset',
      id: `${this.o.project}:${id}`,
      datasetReference: {projectId: this.o.project, datasetId: id},
      location: d.location,
    }
  }

  /** The anonymous table holding a SELECT job's rows: its resource, or its rows (tabledata.list). */
  private anonymousTable(jobId: string, data: boolean, u: URL) {
    const {job, result} = this.job(jobId)
    const rows = result?.rows ?? []
    if (data) {
      return {kind: 'bigquery#tableDataList', ...pageOf(rows, u)}
    }
    return {
      kind: 'bigquery#table',
      id: `${this.o.project}:_anon.anon${jobId}`,
      tableReference: {projectId: this.o.project, datasetId: '_anon', tableId: `anon${jobId}`},
      type: 'TABLE',
      location: job.jobReference.location,
      schema: {fields: result?.fields ?? []},
      numRows: String(rows.length),
    }
  }

  private async tableResource(ds: string, t: string) {
    const meta = this.dataset(ds).tables.get(t)
    if (!meta) throw new BqFail(404, 'notFound', `Not found: Table ${this.o.project}:${ds}.${t}`)
    const base = {
      kind: 'bigquery#table',
      id: `${this.o.project}:${ds}.${t}`,
      tableReference: {projectId: this.o.project, datasetId: ds, tableId: t},
      type: meta.type,
      location: this.dataset(ds).location,
      creationTime: String(meta.created),
    }
    if (meta.type === 'EXTERNAL')
      return {...base, externalDataConfiguration: {sourceUris: meta.uris, sourceFormat: 'PARQUET', autodetect: true}}
    const desc = await this.db().runAndReadAll(`DESCRIBE "${ds}"."${t}"`)
    const fields = desc
      .getRowObjectsJS()
      .map((c) => ({name: String(c.column_name), type: bqType(String(c.column_type))}))
    const count = Number((await this.sql(`SELECT count(*) AS n FROM "${ds}"."${t}"`))[0].n)
    return {
      ...base,
      schema: {fields},
      numRows: String(count),
      numBytes: String(
        await this.tableBytes(
          ds,
          t,
          fields.map((f) => f.name),
        ),
      ),
      ...(meta.partitioning ? {timePartitioning: meta.partitioning} : {}),
      ...(meta.clustering ? {clustering: {fields: meta.clustering}} : {}),
    }
  }

  private async insertTable(ds: string, body: any) {
    const d = this.dataset(ds)
    const t = String(body?.tableReference?.tableId ?? '')
    if (!/^\w+$/.test(t)) throw new BqFail(400, 'invalid', 'Invalid table ID.')
    if (d.tables.has(t)) throw new BqFail(409, 'duplicate', `Already Exists: Table ${this.o.project}:${ds}.${t}`)
    const fields = (body?.schema?.fields ?? []) as Array<{name: string; type: string}>
    if (body?.externalDataConfiguration) {
      d.tables.set(t, {type: 'EXTERNAL', uris: body.externalDataConfiguration.sourceUris, created: Date.now()})
    } else {
      if (fields.length === 0) throw new BqFail(400, 'invalid', 'The stand-in needs a schema to create a table.')
      await this.db().run(
        `CREATE TABLE "${ds}"."${t}" (${fields.map((f) => `"${f.name}" ${duckType(f.type)}`).join(', ')})`,
      )
      d.tables.set(t, {
        type: 'TABLE',
        ...(body.timePartitioning ? {partitioning: body.timePartitioning} : {}),
        ...(body.clustering?.fields ? {clustering: body.clustering.fields} : {}),
        created: Date.now(),
      })
    }
    return this.tableResource(ds, t)
  }

  private async dropTable(ds: string, t: string) {
    const d = this.dataset(ds)
    const meta = d.tables.get(t)
    if (!meta) throw new BqFail(404, 'notFound', `Not found: Table ${this.o.project}:${ds}.${t}`)
    await this.db().run(`DROP ${meta.type === 'TABLE' ? 'TABLE' : 'VIEW'} IF EXISTS "${ds}"."${t}"`)
    d.tables.delete(t)
  }

  private job(id: string) {
    const j = this.jobs.get(id)
    if (!j) throw new BqFail(404, 'notFound', `Not found: Job ${this.o.project}:${id}`)
    return j
  }

  private queryResults(id: string, u: URL) {
    const {job, result} = this.job(id)
    if (job.status.errorResult) throw new BqFail(400, job.status.errorResult.reason, job.status.errorResult.message)
    if (!job.configuration.query) throw new BqFail(400, 'invalid', `Job ${id} is not a query job.`)
    return {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: job.jobReference,
      jobComplete: true,
      cacheHit: false,
      totalBytesProcessed: job.statistics.query.totalBytesProcessed,
      schema: {fields: result?.fields ?? []},
      ...pageOf(result?.rows ?? [], u),
    }
  }

  /**
   * A resumable media upload (Python's load_table_from_file without a size: dbt seed): POST the job
   * resource for a session URL, PUT the bytes (308 until the last one), then the job runs.
   */
  private async resumableUpload(
    req: http.IncomingMessage,
    u: URL,
    method: string,
    body: any,
    raw: string,
    res: http.ServerResponse,
  ): Promise<void> {
    const id = u.searchParams.get('upload_id')
    if (method === 'POST' && !id) {
      const uploadId = randomUUID()
      this.uploads.set(uploadId, {resource: body, data: ''})
      res.writeHead(200, {location: `${this.url}/upload${u.pathname}?uploadType=resumable&upload_id=${uploadId}`})
      res.end()
      return
    }
    const up = id ? this.uploads.get(id) : undefined
    if (method !== 'PUT' || !up) throw new BqFail(404, 'notFound', `No upload session ${id}`)
    up.data += raw
    const total = /\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''))?.[1]
    if (total === undefined || Buffer.byteLength(up.data) < Number(total)) {
      res.writeHead(308, up.data ? {range: `bytes=0-${Buffer.byteLength(up.data) - 1}`} : {})
      res.end()
      return
    }
    this.uploads.delete(id!)
    res.writeHead(200, {'content-type': 'application/json; charset=UTF-8'})
    res.end(JSON.stringify(await this.insertJob(up.resource, up.data)))
  }

  private tableList(ds: string) {
    const tables = [...this.dataset(ds).tables].map(([t, meta]) => ({
      kind: 'bigquery#table',
      id: `${this.o.project}:${ds}.${t}`,
      tableReference: {projectId: this.o.project, datasetId: ds, tableId: t},
      type: meta.type,
      creationTime: String(meta.created),
    }))
    return {kind: 'bigquery#tableList', tables, totalItems: tables.length}
  }

  private async insertJob(body: any, data?: string): Promise<JobResource> {
    const ref = body?.jobReference ?? {}
    const jobId = String(ref.jobId ?? randomUUID())
    if (this.jobs.has(jobId)) throw new BqFail(409, 'duplicate', `Already Exists: Job ${this.o.project}:${jobId}`)
    const config = body?.configuration ?? {}
    const now = Date.now()
    const job: JobResource = {
      kind: 'bigquery#job',
      id: `${this.o.project}:${ref.location ?? 'US'}.${jobId}`,
      jobReference: {projectId: this.o.project, jobId, location: ref.location ?? 'US'},
      configuration: config,
      status: {state: 'DONE'},
      statistics: {creationTime: String(now), startTime: String(now)},
    }
    let result: Result | undefined
    try {
      if (config.query) {
        const q = await this.query(String(config.query.query ?? ''), Boolean(config.dryRun), ref.location)
        job.jobReference.location = q.location
        job.statistics.totalBytesProcessed = String(q.bytes)
        job.statistics.query = {totalBytesProcessed: String(q.bytes), statementType: q.statementType, cacheHit: false}
        // As BigQuery: a SELECT's rows sit in an anonymous table the job names (Python's client needs it).
        if (q.destination) config.query.destinationTable = q.destination
        else if (q.statementType === 'SELECT' && !config.dryRun)
          config.query.destinationTable ??= {projectId: this.o.project, datasetId: '_anon', tableId: `anon${jobId}`}
        result = q.result
        if (q.error) throw q.error
      } else if (config.load && data !== undefined) {
        job.statistics.load = await this.loadCsv(config.load, data, ref.location)
        job.jobReference.location = this.dataset(config.load.destinationTable.datasetId).location
      } else if (config.load) {
        job.statistics.load = await this.load(config.load, ref.location)
        job.jobReference.location = this.dataset(config.load.destinationTable.datasetId).location
      } else {
        throw new BqFail(400, 'invalid', 'The stand-in runs query and load jobs only.')
      }
    } catch (error) {
      if (!(error instanceof BqFail) || error.http !== 200) throw error
      // A job that was accepted and failed while running: DONE with an errorResult.
      const item = {reason: error.reason, message: error.message}
      job.status = {state: 'DONE', errorResult: item, errors: [item]}
    }
    job.statistics.endTime = String(Date.now())
    if (config.dryRun) return job
    this.jobs.set(jobId, {job, result})
    return job
  }

  private checkLocation(ds: string, location: string | undefined) {
    const d = this.dataset(ds)
    if (location && location.toLowerCase() !== d.location.toLowerCase())
      throw new BqFail(
        404,
        'notFound',
        `Not found: Dataset ${this.o.project}:${ds} was not found in location ${location}`,
      )
    return d
  }

  /** `project.dataset.table` or `dataset.table` in backticks -> [dataset, table], checked. */
  private refs(sql: string): Array<{ds: string; t: string; text: string}> {
    const out: Array<{ds: string; t: string; text: string}> = []
    for (const m of sql.matchAll(/`([^`]+)`/g)) {
      const parts = m[1].split('.')
      // One part is a column or alias (`VendorID`), not a table.
      if (parts.length === 1) continue
      if (parts.length === 3 && parts[0] !== this.o.project)
        throw new BqFail(404, 'notFound', `Not found: Project ${parts[0]}`)
      if (parts.length < 2 || parts.length > 3) throw new BqFail(400, 'invalidQuery', `Invalid table name: ${m[1]}`)
      out.push({ds: parts.at(-2)!, t: parts.at(-1)!, text: m[0]})
    }
    return out
  }

  /** The SQL with every table reference as DuckDB's "ds"."t" and GoogleSQL names DuckDB lacks. */
  private translate(sql: string, location: string | undefined, mustExist = true): string {
    let out = sql
    for (const r of this.refs(sql)) {
      const d = this.checkLocation(r.ds, location)
      if (mustExist && !d.tables.has(r.t))
        throw new BqFail(
          404,
          'notFound',
          `Not found: Table ${this.o.project}:${r.ds}.${r.t} was not found in location ${d.location}`,
        )
      out = out.replace(r.text, `"${r.ds}"."${r.t}"`)
    }
    return out
      .replace(/`([^`.]+)`/g, '"$1"')
      .replace(/\bINT64\b/gi, 'BIGINT')
      .replace(/\bFLOAT64\b/gi, 'DOUBLE')
      .replace(/\bBOOL\b/gi, 'BOOLEAN')
      .replace(/\bCURRENT_TIMESTAMP\(\)/gi, 'current_timestamp')
      .replace(/\\'/g, "''")
  }

  private locationOf(sql: string, location: string | undefined): string {
    const r = this.refs(sql)[0]
    return location ?? (r ? this.dataset(r.ds).location : 'US')
  }

  private async query(
    raw: string,
    dryRun: boolean,
    requested: string | undefined,
  ): Promise<{
    location: string
    bytes: number
    statementType: string
    result?: Result
    error?: BqFail
    destination?: {projectId: string; datasetId: string; tableId: string}
  }> {
    const sql = normalise(raw)
    const location = this.locationOf(sql, requested)
    let m: RegExpExecArray | null
    if ((m = /^alter\s+(table|view)\s+`([^`]+)`\s+set\s+OPTIONS\s*\(/i.exec(sql))) {
      // dbt's descriptions and labels: metadata the stand-in does not keep (the table must exist).
      const [{ds, t}] = this.refs(`\`${m[2]}\``)
      if (!this.checkLocation(ds, location).tables.has(t))
        throw new BqFail(404, 'notFound', `Not found: Table ${this.o.project}:${ds}.${t}`)
      return {location, bytes: 0, statementType: m[1].toUpperCase() === 'VIEW' ? 'ALTER_VIEW' : 'ALTER_TABLE'}
    }
    if ((m = /^create\s+or\s+replace\s+(view|table)\s+`([^`]+)`\s*/i.exec(sql))) {
      // dbt's materialisations: CREATE OR REPLACE VIEW|TABLE `p.d.t` OPTIONS(...) AS (SELECT ...).
      const kind = m[1].toUpperCase() as 'VIEW' | 'TABLE'
      const [{ds, t}] = this.refs(`\`${m[2]}\``)
      const d = this.checkLocation(ds, location)
      // Tables: AS ( SELECT ... ); views: AS SELECT ... (dbt-bigquery's macros), comments anywhere.
      let query = stripLeadingComments(/^as\b([\s\S]*)$/i.exec(skipOptions(sql.slice(m[0].length)))?.[1] ?? '')
      if (query.startsWith('(') && query.endsWith(')')) query = query.slice(1, -1)
      if (!/^(select|with)\b/i.test(stripLeadingComments(query)))
        throw new BqFail(
          400,
          'invalidQuery',
          `The stand-in expects CREATE OR REPLACE ${kind} ... AS SELECT ..., not: ${sql.slice(0, 200)}`,
        )
      const select = await this.readable(query, location)
      await this.run(`EXPLAIN ${select}`).catch((e: BqFail) => {
        throw new BqFail(400, 'invalidQuery', e.message)
      })
      if (!dryRun) {
        const old = d.tables.get(t)
        if (old && old.type !== kind)
          await this.db().run(`DROP ${old.type === 'TABLE' ? 'TABLE' : 'VIEW'} "${ds}"."${t}"`)
        await this.run(`CREATE OR REPLACE ${kind} "${ds}"."${t}" AS ${select}`)
        d.tables.set(t, {type: kind, created: Date.now()})
      }
      return {
        location,
        bytes: kind === 'TABLE' ? await this.scannedBytes(query, location) : 0,
        statementType: kind === 'VIEW' ? 'CREATE_VIEW' : 'CREATE_TABLE_AS_SELECT',
        destination: {projectId: this.o.project, datasetId: ds, tableId: t},
      }
    }
    if ((m = /^CREATE OR REPLACE EXTERNAL TABLE `([^`]+)`\s*OPTIONS\s*\(([\s\S]*)\)$/i.exec(sql))) {
      const [{ds, t}] = this.refs(`\`${m[1]}\``)
      const d = this.checkLocation(ds, location)
      const opts = m[2]
      if (!/format\s*=\s*'PARQUET'/i.test(opts))
        throw new BqFail(400, 'invalidQuery', 'The stand-in supports format = PARQUET only.')
      const uris = [...(/uris\s*=\s*\[([^\]]*)\]/i.exec(opts)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((x) => x[1])
      if (uris.length === 0) throw new BqFail(400, 'invalidQuery', 'uris is required for an external table.')
      if (!dryRun) {
        const old = d.tables.get(t)
        if (old && old.type !== 'EXTERNAL') await this.db().run(`DROP TABLE "${ds}"."${t}"`)
        d.tables.set(t, {type: 'EXTERNAL', uris, created: Date.now()})
      }
      return {location, bytes: 0, statementType: 'CREATE_TABLE'}
    }
    if (
      (m =
        /^CREATE TABLE IF NOT EXISTS `([^`]+)`\s*\(([\s\S]*?)\)\s*(?:PARTITION BY DATE\((\w+)\))?\s*(?:CLUSTER BY ([\w\s,]+))?$/i.exec(
          sql,
        ))
    ) {
      const [{ds, t}] = this.refs(`\`${m[1]}\``)
      const d = this.checkLocation(ds, location)
      if (!dryRun && !d.tables.has(t)) {
        const cols = m[2]
        if (m[3] && !new RegExp(`\\b${m[3]}\\s+(TIMESTAMP|DATE|DATETIME)\\b`, 'i').test(cols))
          throw new BqFail(400, 'invalidQuery', `PARTITION BY expression must be a DATE/TIMESTAMP column: ${m[3]}`)
        await this.db().run(`CREATE TABLE "${ds}"."${t}" (${this.translate(cols, location, false)})`)
        d.tables.set(t, {
          type: 'TABLE',
          ...(m[3] ? {partitioning: {type: 'DAY' as const, field: m[3]}} : {}),
          ...(m[4] ? {clustering: m[4].split(',').map((c) => c.trim())} : {}),
          created: Date.now(),
        })
      }
      return {location, bytes: 0, statementType: 'CREATE_TABLE'}
    }
    if (/^BEGIN TRANSACTION;/i.test(sql)) return this.script(sql, dryRun, location)
    if (/^(SELECT|WITH)\b/i.test(sql)) {
      if (/;/.test(sql.replace(/'[^']*'/g, '')))
        throw new BqFail(400, 'invalidQuery', 'The stand-in runs one SELECT per query.')
      const duck = await this.readable(sql, location)
      const bytes = await this.scannedBytes(sql, location)
      // Planning errors are the request's (HTTP 400, as BigQuery validates before it runs anything).
      await this.run(`EXPLAIN ${duck}`).catch((e: BqFail) => {
        throw new BqFail(400, 'invalidQuery', e.message)
      })
      if (dryRun) return {location, bytes, statementType: 'SELECT'}
      return {location, bytes, statementType: 'SELECT', result: await this.run(duck)}
    }
    throw new BqFail(
      400,
      'invalidQuery',
      `The BigQuery stand-in supports only the SQL dezc emits (and SELECT); not: ${sql.slice(0, 60)}`,
    )
  }

  /** A SELECT, with its external tables materialised as views over the objects they name. */
  private async readable(sql: string, location: string): Promise<string> {
    for (const r of this.refs(sql)) {
      const meta = this.dataset(r.ds).tables.get(r.t)
      if (meta?.type !== 'EXTERNAL') continue
      const files = (await Promise.all(meta.uris!.map((u) => this.fetchUri(u)))).flat()
      await this.run(
        `CREATE OR REPLACE VIEW "${r.ds}"."${r.t}" AS SELECT * FROM read_parquet([${files.map((f) => `'${f.file}'`).join(', ')}])`,
        (msg) => `Error while reading table: ${r.ds}.${r.t}, error message: ${msg}`,
      )
    }
    return this.translate(sql, location)
  }

  /** Run in DuckDB; a DuckDB error is the job's error (HTTP 200, DONE with errorResult). */
  private async run(duck: string, wrap: (m: string) => string = (m) => m): Promise<Result> {
    let reader
    try {
      reader = await this.db().runAndReadAll(duck)
    } catch (error) {
      throw new BqFail(200, 'invalidQuery', wrap((error as Error).message.split('\n')[0]))
    }
    const types = reader.columnTypes().map((t) => t.toString())
    const fields = reader.columnNames().map((name, i) => ({name, type: bqType(types[i]), mode: 'NULLABLE' as const}))
    const rows = reader.getRows().map((row) => row.map((v, i) => cell(v, types[i])))
    return {fields, rows}
  }

  private async script(sql: string, dryRun: boolean, location: string) {
    const stmts = sql
      .split(/;\s*\n/)
      .map((s) => s.trim().replace(/;$/, ''))
      .filter(Boolean)
    if (!/^BEGIN TRANSACTION$/i.test(stmts[0]) || !/^COMMIT TRANSACTION$/i.test(stmts.at(-1) ?? ''))
      throw new BqFail(400, 'invalidQuery', 'The stand-in runs scripts of BEGIN TRANSACTION; ...; COMMIT TRANSACTION.')
    const body = stmts.slice(1, -1)
    for (const s of body)
      if (!/^(DELETE FROM `[^`]+` WHERE |INSERT INTO `[^`]+` \()/i.test(s))
        throw new BqFail(
          400,
          'invalidQuery',
          `The stand-in's scripts hold DELETE ... WHERE and INSERT only, not: ${s.slice(0, 60)}`,
        )
    const translated = body.map((s) => this.translate(s, location))
    let bytes = 0
    for (const s of body) bytes += await this.scannedBytes(s, location)
    if (dryRun) return {location, bytes, statementType: 'SCRIPT'}
    await this.db().run('BEGIN TRANSACTION')
    try {
      for (const s of translated) await this.run(s)
      await this.db().run('COMMIT')
    } catch (error) {
      await this.db().run('ROLLBACK')
      const e = error as BqFail
      return {
        location,
        bytes,
        statementType: 'SCRIPT',
        error: new BqFail(
          200,
          e.reason ?? 'invalidQuery',
          `Query error: ${e.message} at [transaction]; the transaction was rolled back`,
        ),
      }
    }
    return {location, bytes, statementType: 'SCRIPT'}
  }

  /** Logical bytes of the referenced columns of the native tables in `sql` (external: 0). */
  private async scannedBytes(sql: string, location: string): Promise<number> {
    let total = 0
    const star = /\bSELECT\s+\*/i.test(sql)
    for (const r of this.refs(sql)) {
      const meta = this.checkLocation(r.ds, location).tables.get(r.t)
      if (!meta || meta.type === 'EXTERNAL') continue
      const cols = (await this.sql(`DESCRIBE "${r.ds}"."${r.t}"`)).map((c) => String(c.column_name))
      const used = cols.filter((c) => star || new RegExp(`\\b${c}\\b`, 'i').test(sql.replace(/`[^`]+`/g, '')))
      total += await this.tableBytes(r.ds, r.t, used)
    }
    return total
  }

  private async tableBytes(ds: string, t: string, cols: string[]): Promise<number> {
    if (cols.length === 0) return 0
    const desc = new Map(
      (await this.sql(`DESCRIBE "${ds}"."${t}"`)).map((c) => [String(c.column_name), String(c.column_type)]),
    )
    const parts = cols.map((c) =>
      desc.get(c) === 'VARCHAR' ? `coalesce(sum(2 + strlen("${c}")), 0)` : `8 * count("${c}")`,
    )
    const r = await this.sql(`SELECT CAST(${parts.join(' + ')} AS DOUBLE) AS b FROM "${ds}"."${t}"`)
    return Number(r[0].b)
  }

  /** Download the objects a gs:// URI (with at most one `*`) names; none is a notFound. */
  private async fetchUri(uri: string): Promise<Array<{uri: string; file: string}>> {
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri)
    if (!m) throw new BqFail(200, 'invalid', `Invalid source URI: ${uri}`)
    const [, bucket, name] = m
    const star = name.indexOf('*')
    const prefix = star < 0 ? name : name.slice(0, star)
    const list = await fetch(`${this.o.gcsUrl}/storage/v1/b/${bucket}/o?prefix=${encodeURIComponent(prefix)}`)
    if (!list.ok) throw new BqFail(200, 'notFound', `Not found: URI ${uri}`)
    const items = ((await list.json()) as {items?: Array<{name: string; generation: string}>}).items ?? []
    const re = new RegExp(
      `^${name
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    )
    const hits = items.filter((i) => re.test(i.name))
    if (hits.length === 0)
      throw new BqFail(200, 'notFound', star < 0 ? `Not found: URI ${uri}` : `Not found: Files ${uri}`)
    return Promise.all(
      hits.map(async (i) => {
        const file = path.join(this.dir, `${bucket}-${i.name.replaceAll('/', '_')}-${i.generation}`)
        if (!fs.existsSync(file)) {
          const r = await fetch(`${this.o.gcsUrl}/storage/v1/b/${bucket}/o/${encodeURIComponent(i.name)}?alt=media`)
          fs.writeFileSync(file, Buffer.from(await r.arrayBuffer()))
        }
        return {uri: `gs://${bucket}/${i.name}`, file}
      }),
    )
  }

  /** A CSV load job whose data came in the request (dbt seed); BigQuery's default disposition is WRITE_APPEND. */
  private async loadCsv(load: any, data: string, location: string | undefined): Promise<Record<string, string>> {
    const dest = load.destinationTable ?? {}
    const ds = String(dest.datasetId)
    const t = String(dest.tableId)
    const d = this.checkLocation(ds, location)
    if (!['', 'CSV'].includes(String(load.sourceFormat ?? '').toUpperCase()))
      throw new BqFail(400, 'invalid', 'The stand-in loads uploaded CSV only.')
    const fields = (load.schema?.fields ?? []) as Array<{name: string; type: string}>
    if (fields.length === 0) throw new BqFail(400, 'invalid', 'The stand-in needs a schema for a CSV load.')
    const file = path.join(this.dir, `upload-${randomUUID()}.csv`)
    fs.writeFileSync(file, data)
    const columns = fields.map((f) => `'${f.name}': '${duckType(f.type)}'`).join(', ')
    const delim = String(load.fieldDelimiter ?? ',').replaceAll("'", "''")
    const read = `SELECT * FROM read_csv('${file}', header = false, skip = ${Number(load.skipLeadingRows ?? 0)}, delim = '${delim}', columns = {${columns}})`
    const target = `"${ds}"."${t}"`
    const exists = d.tables.get(t)
    const disposition = String(load.writeDisposition ?? 'WRITE_APPEND')
    if (exists && disposition === 'WRITE_EMPTY')
      throw new BqFail(200, 'duplicate', `Already Exists: Table ${this.o.project}:${ds}.${t}`)
    const bad = (msg: string) => `Error while reading data, error message: ${msg}`
    if (exists && disposition === 'WRITE_APPEND') await this.run(`INSERT INTO ${target} ${read}`, bad)
    else {
      await this.run(`CREATE OR REPLACE TABLE ${target} AS ${read}`, bad)
      d.tables.set(t, {type: 'TABLE', created: Date.now()})
    }
    const rows = Number((await this.sql(`SELECT count(*) AS n FROM ${target}`))[0].n)
    return {inputFiles: '1', inputFileBytes: String(Buffer.byteLength(data)), outputRows: String(rows)}
  }

  private async load(load: any, location: string | undefined): Promise<Record<string, string>> {
    const dest = load.destinationTable ?? {}
    const ds = String(dest.datasetId)
    const t = String(dest.tableId)
    const d = this.checkLocation(ds, location)
    if (String(load.sourceFormat ?? '').toUpperCase() !== 'PARQUET')
      throw new BqFail(400, 'invalid', 'The stand-in loads PARQUET only.')
    const files = (await Promise.all((load.sourceUris as string[]).map((u) => this.fetchUri(u)))).flat()
    const list = `[${files.map((f) => `'${f.file}'`).join(', ')}]`
    const exists = d.tables.get(t)
    if (exists && load.writeDisposition !== 'WRITE_TRUNCATE' && load.writeDisposition !== 'WRITE_APPEND')
      throw new BqFail(200, 'duplicate', `Already Exists: Table ${this.o.project}:${ds}.${t}`)
    const target = `"${ds}"."${t}"`
    const read = (msg: string) => `Error while reading data, error message: ${msg} File: ${files[0].uri}`
    if (exists && load.writeDisposition === 'WRITE_APPEND')
      await this.run(`INSERT INTO ${target} SELECT * FROM read_parquet(${list})`, read)
    // Into a new table first: a corrupt file leaves the old contents (WRITE_TRUNCATE is atomic).
    else {
      const tmp = `"${ds}"."__load_${randomUUID().replaceAll('-', '')}"`
      await this.run(`CREATE TABLE ${tmp} AS SELECT * FROM read_parquet(${list})`, read)
      await this.db().run(`DROP TABLE IF EXISTS ${target}`)
      await this.db().run(`ALTER TABLE ${tmp} RENAME TO "${t}"`)
      d.tables.set(t, {type: 'TABLE', created: Date.now()})
    }
    const rows = Number((await this.sql(`SELECT count(*) AS n FROM ${target}`))[0].n)
    const bytes = files.reduce((a, f) => a + fs.statSync(f.file).size, 0)
    return {
      inputFiles: String(files.length),
      inputFileBytes: String(bytes),
      outputRows: String(rows),
      outputBytes: String(
        await this.tableBytes(
          ds,
          t,
          (await this.sql(`DESCRIBE ${target}`)).map((c) => String(c.column_name)),
        ),
      ),
    }
  }
}

function bqType(duck: string): string {
  const t = duck.toUpperCase()
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)$/.test(t)) return 'INTEGER'
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'FLOAT'
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP'
  if (t === 'DATE') return 'DATE'
  if (t === 'BOOLEAN') return 'BOOLEAN'
  return 'STRING'
}

function duckType(bq: string): string {
  const t = bq.toUpperCase()
  if (t === 'INTEGER' || t === 'INT64') return 'BIGINT'
  if (t === 'FLOAT' || t === 'FLOAT64') return 'DOUBLE'
  if (t === 'BOOLEAN' || t === 'BOOL') return 'BOOLEAN'
  if (t === 'TIMESTAMP' || t === 'DATE') return t
  return 'VARCHAR'
}

/** A DuckDB value as BigQuery's wire format: strings; TIMESTAMP as int64 microseconds (useInt64Timestamp). */
function cell(v: unknown, duckType: string): string | null {
  if (v === null || v === undefined) return null
  if (duckType.startsWith('TIMESTAMP')) return String((v as {micros: bigint}).micros)
  return String(v)
}

/** One page of result rows in BigQuery's wire format (pageToken/startIndex, maxResults). */
function pageOf(rows: Array<Array<string | null>>, u: URL) {
  const start = Number(u.searchParams.get('pageToken') ?? u.searchParams.get('startIndex') ?? 0)
  const max = Number(u.searchParams.get('maxResults') ?? 100_000)
  return {
    totalRows: String(rows.length),
    rows: rows.slice(start, start + max).map((row) => ({f: row.map((v) => ({v}))})),
    ...(start + max < rows.length ? {pageToken: String(start + max)} : {}),
  }
}

/** dbt's SQL as the stand-in reads it: no leading comments, `p`.`d`.`t` as `p.d.t`, no final `;`. */
function normalise(raw: string): string {
  return stripLeadingComments(raw)
    .replace(/`([^`.]+)`\.`([^`.]+)`\.`([^`.]+)`/g, '`$1.$2.$3`')
    .replace(/`([^`.]+)`\.`([^`.]+)`/g, '`$1.$2`')
    .replace(/;\s*$/, '')
}

function stripLeadingComments(text: string): string {
  let sql = text.trim()
  for (;;) {
    const next = sql.replace(/^\/\*[\s\S]*?\*\/\s*/, '').replace(/^--[^\n]*(\n\s*|$)/, '')
    if (next === sql) return sql
    sql = next
  }
}

/** The text after an optional OPTIONS(...) clause (parentheses inside it balanced). */
function skipOptions(rest: string): string {
  const m = /^OPTIONS\s*\(/i.exec(rest)
  if (!m) return rest.trim()
  let depth = 1
  let i = m[0].length
  for (; i < rest.length && depth > 0; i++) {
    if (rest[i] === '(') depth++
    else if (rest[i] === ')') depth--
  }
  return rest.slice(i).trim()
}

/** multipart/related (Google's media upload): the JSON resource part and the data part. */
function parseMultipart(contentType: string, raw: string): {resource: any; data: string} | undefined {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
  if (!/^multipart\/related/i.test(contentType) || !boundary) return undefined
  const parts = raw
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const at = p.indexOf('\r\n\r\n')
      return p.slice(at + 4).replace(/\r\n$/, '')
    })
  if (parts.length !== 2) throw new BqFail(400, 'invalid', 'A multipart upload has a resource part and a data part.')
  return {resource: JSON.parse(parts[0]), data: parts[1]}
}
