/**
 * bench/ingest, network part: one yellow-2021-01-shaped month served by a throttled loopback mirror
 * (test/helpers/file-server.ts `rate`, default 5 and 50 MB/s, decimal MB), as csv.gz (the course's
 * backup releases) and as parquet (the TLC CDN), into the same local PostgreSQL 15:
 *   (w) dezc's whole command from the mirror (fresh cache: download + load, overlapped: csv.gz as a
 *       stream, parquet row group by row group),
 *   (d) the pure download of the same bytes (curl to /dev/null),
 *   (l) dezc's own load of the same file already on disk (--file),
 *   (p) download then psql \copy: curl to a file, then \copy of it (csv.gz: FROM PROGRAM 'gzip -dc',
 *       CSV HEADER into a table of the CSV's own column types; parquet: psql cannot read parquet,
 *       so the same rows pre-encoded as binary COPY, not counted in the time),
 * printing every ratio (target: w <= 1.15 x max(d, l)) and dezc's peak RSS. Then (c) twelve such
 * months (--months N) over the same link (one shared rate however many downloads are in flight):
 * the whole command for the year vs curl of the twelve files vs dezc loading them from its cache.
 * (b) sits between them: an fhvhv-shaped month of 20 M rows in 1 M-row groups (fhvhvBench).
 * Usage: bench/ingest --network-only [--rows 1369769] [--rates 5,50] [--formats csv.gz,parquet]
 *        [--fhvhv-rows 20000000] [--fhvhv-group 1048576] [--fhvhv-reps 1] [--fhvhv-writer pyarrow|duckdb]
 *        (--fhvhv-rows 0 skips (b))
 *        [--months 12] [--months-formats csv.gz,parquet] (--months 0 skips (c))
 */
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import pg from 'pg'
import {startFileServer} from '../test/helpers/file-server.js'
import {benchPython} from './python-env.js'
import {startPostgres} from '../test/helpers/postgres.js'
import {writeTripCsvGz, writeTripParquet} from '../test/helpers/tlc-fixtures.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const argOf = (name: string, def: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : def

interface Timed {
  seconds: number
  stdout: string
  stderr: string
  rssMiB?: number
}

/** Run a program without blocking this process (the mirror serves from this event loop). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, rssFile?: string): Promise<Timed> {
  const argv = rssFile ? ['-f', '%M', '-o', rssFile, cmd, ...args] : args
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(rssFile ? '/usr/bin/time' : cmd, argv, {env: {...process.env, ...env}})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stdout}\n${stderr}`))
      const rssMiB = rssFile ? Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : undefined
      resolve({seconds, stdout, stderr, rssMiB})
    })
  })
}

/** The fastest of `reps` runs (the shared machine's noise only ever adds time); peak RSS is the largest seen. */
async function best(reps: number, once: (rep: number) => Promise<Timed>): Promise<Timed> {
  let out: Timed | undefined
  let rss = 0
  for (let i = 0; i < reps; i++) {
    const t = await once(i)
    rss = Math.max(rss, t.rssMiB ?? 0)
    if (!out || t.seconds < out.seconds) out = t
  }
  return {...out!, rssMiB: rss || undefined}
}

/**
 * (b): one fhvhv-shaped month (--fhvhv-rows, default 20 M, in row groups of --fhvhv-group, default
 * 1,048,576 as pyarrow writes TLC's files) as parquet from the mirror at each rate: dezc's whole
 * command vs curl of the same bytes vs dezc's load of the file on disk, one run each by default
 * (--fhvhv-reps). psql's side is left out: its binary file would be ~5 GB. The rows come from
 * DuckDB; --fhvhv-writer pyarrow (the default) then rewrites them with pyarrow, the library that
 * writes TLC's files, so the pages are its ~1 MiB ones (DuckDB writes a 1 M-value column chunk as
 * one or two pages, which a reader must decode whole: a memory profile TLC's files do not have).
 */
async function fhvhvBench(o: {
  fhRows: number
  rates: number[]
  dir: string
  mirror: Awaited<ReturnType<typeof startFileServer>>
  link: {linkRate?: number}
  dezc: (args: string[], cache?: string, periods?: string[], dataset?: string) => Promise<Timed>
  count: (table: string) => Promise<number>
  c: pg.Client
}): Promise<string[]> {
  const {fhRows, c} = o
  const reps = Number(argOf('--fhvhv-reps', '1'))
  const file = path.join(o.dir, 'fhvhv_tripdata_2021-01.parquet')
  const t0 = performance.now()
  const group = Number(argOf('--fhvhv-group', '1048576'))
  await writeTripParquet(file, 'fhvhv', '2021-01', fhRows, {rowGroupSize: group})
  const writer = argOf('--fhvhv-writer', 'pyarrow')
  if (writer === 'pyarrow') {
    const python = benchPython('pyarrow-env', ['pyarrow'], 'pyarrow.parquet')
    const rewrite = [
      'import sys, pyarrow.parquet as pq',
      'src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])',
      'f = pq.ParquetFile(src)',
      "with pq.ParquetWriter(dst, f.schema_arrow, compression='snappy') as w:",
      '    for b in f.iter_batches(batch_size=n):',
      '        w.write_batch(b, row_group_size=n)',
    ].join('\n')
    const r = spawnSync(python, ['-c', rewrite, file, `${file}.pyarrow`, String(group)], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`pyarrow rewrite failed: ${r.stderr}`)
    fs.renameSync(`${file}.pyarrow`, file)
  } else if (writer !== 'duckdb') throw new Error(`--fhvhv-writer ${writer}: pyarrow or duckdb`)
  const mb = fs.statSync(file).size / 1e6
  console.log(
    `generated fhvhv ${fhRows.toLocaleString('en-US')} rows (${writer}): parquet ${mb.toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  const once = async (table: string, args: string[]) => {
    await c.query(`DROP TABLE IF EXISTS ${table}; DELETE FROM dezc_ingest_ledger WHERE table_name = '${table}'`)
    await c.query('CHECKPOINT')
    const t = await o.dezc([...args, '--table', table], undefined, ['2021-01'], 'fhvhv')
    if (JSON.parse(t.stdout).result.loads[0].rows !== fhRows || (await o.count(table)) !== fhRows)
      throw new Error(`${table}: wrong count`)
    // The heap of 20 M rows is ~4 GB: one table at a time.
    await c.query(`DROP TABLE ${table}; DELETE FROM dezc_ingest_ledger WHERE table_name = '${table}'`)
    return t
  }
  const lo = await best(reps, () => once('fh_local', ['--file', file]))
  const lines: string[] = []
  const urlPath = '/trip-data/fhvhv_tripdata_2021-01.parquet'
  for (const rate of o.rates) {
    o.link.linkRate = rate * 1e6
    o.mirror.set(urlPath, {file, rate: rate * 1e6})
    const whole = await best(reps, () => once(`fh_w_${rate}`, ['--base-url', `${o.mirror.url}/trip-data/`]))
    const dl = await best(reps, () => run('curl', ['-sS', '-o', '/dev/null', `${o.mirror.url}${urlPath}`]))
    const ratio = whole.seconds / Math.max(dl.seconds, lo.seconds)
    lines.push(
      [
        `fhvhv ${(fhRows / 1e6).toFixed(1)} M (${writer}) ${String(rate).padStart(3)} MB/s`,
        `whole ${whole.seconds.toFixed(2).padStart(6)} s`,
        `download ${dl.seconds.toFixed(2).padStart(6)} s`,
        `local load ${lo.seconds.toFixed(2).padStart(6)} s`,
        `whole/max(dl,load) ${ratio.toFixed(2)}${ratio <= 1.15 ? ' ok' : ' MISSED'}`,
        `whole/dl ${(whole.seconds / dl.seconds).toFixed(2)}`,
        `whole/load ${(whole.seconds / lo.seconds).toFixed(2)}`,
        `RSS ${whole.rssMiB!.toFixed(0)} MiB (local ${lo.rssMiB!.toFixed(0)})`,
      ].join(' | '),
    )
    console.log(lines.at(-1))
  }
  fs.rmSync(file)
  return lines
}

export async function networkBench(): Promise<void> {
  const rows = Number(argOf('--rows', '1369769'))
  const reps = Number(argOf('--reps', '3'))
  const rates = argOf('--rates', '5,50').split(',').map(Number)
  const formats = argOf('--formats', 'csv.gz,parquet').split(',') as Array<'csv.gz' | 'parquet'>
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-net-'))
  const server = await startPostgres({settings: {fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on'}})
  const link: {missingStatus: number; linkRate?: number} = {missingStatus: 403}
  const mirror = await startFileServer(link)
  const c = new pg.Client({connectionString: server.url})
  let n = 0
  const dezc = (args: string[], cache = `cache-${++n}`, periods = ['2021-01'], dataset = 'yellow') =>
    run(
      process.execPath,
      [path.join(root, 'bin', 'run.js'), 'ingest', dataset, ...periods, '--db-url', server.url, '--json', ...args],
      {
        NODE_ENV: 'production',
        DEZC_CACHE_DIR: path.join(dir, cache),
        DEZC_CONFIG_DIR: path.join(dir, 'config'),
        DEZC_DATA_DIR: path.join(dir, 'data'),
      },
      path.join(dir, 'rss'),
    )
  const psql = (command: string) => run('psql', [server.url, '-v', 'ON_ERROR_STOP=1', '-qc', command])
  const count = async (table: string) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)
  const lines: string[] = []
  try {
    await c.connect()
    const parquet = path.join(dir, 'yellow_tripdata_2021-01.parquet')
    const gz = path.join(dir, 'yellow_tripdata_2021-01.csv.gz')
    const t0 = performance.now()
    await writeTripParquet(parquet, 'yellow', '2021-01', rows, {rowGroupSize: 1_048_576})
    await writeTripCsvGz(parquet, gz)
    const mib = (f: string) => fs.statSync(f).size / 1e6
    console.log(
      `generated ${rows.toLocaleString('en-US')} rows: parquet ${mib(parquet).toFixed(1)} MB, csv.gz ${mib(gz).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    mirror.set('/download/yellow/yellow_tripdata_2021-01.csv.gz', {file: gz})
    mirror.set('/trip-data/yellow_tripdata_2021-01.parquet', {file: parquet})

    // psql's side: a table of the CSV's own types, and the parquet rows pre-encoded as binary COPY.
    const local = {'csv.gz': gz, parquet}
    const loadLocal: Record<string, Timed> = {}
    for (const f of formats) {
      loadLocal[f] = await best(reps, async (i) => {
        if (i > 0) await c.query(`DROP TABLE local_${f.replace('.', '_')}; DELETE FROM dezc_ingest_ledger`)
        await c.query('CHECKPOINT')
        return dezc(['--file', local[f], '--table', `local_${f.replace('.', '_')}`])
      })
    }
    const anyTable = `local_${formats[0].replace('.', '_')}`
    const cols = (
      await c.query(
        `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_name = $1 AND column_name <> 'dezc_load_id'`,
        [anyTable],
      )
    ).rows[0].c as string
    const bin = path.join(dir, 'rows.bin')
    await psql(`\\copy (SELECT ${cols} FROM ${anyTable}) TO '${bin}' (FORMAT binary)`)
    const header = (await run('sh', ['-c', `gzip -dc '${gz}' | head -1`])).stdout.trim()
    const csvTypes = header
      .split(',')
      .map((h) => {
        const name = h.replace(/^"|"$/g, '')
        const type = /datetime/.test(name) ? 'timestamp' : name === 'store_and_fwd_flag' ? 'text' : 'double precision'
        return `"${name}" ${type}`
      })
      .join(', ')

    for (const rate of rates) {
      link.linkRate = rate * 1e6
      mirror.files.forEach((_, key) => mirror.set(key, {...(mirror.files.get(key) as object), rate: rate * 1e6}))
      for (const f of formats) {
        const url =
          f === 'csv.gz'
            ? `${mirror.url}/download/yellow/yellow_tripdata_2021-01.csv.gz`
            : `${mirror.url}/trip-data/yellow_tripdata_2021-01.parquet`
        const table = `w_${f.replace('.', '_')}_${rate}`
        const whole = await best(reps, async () => {
          await c.query(`DROP TABLE IF EXISTS ${table}; DELETE FROM dezc_ingest_ledger WHERE table_name = '${table}'`)
          await c.query('CHECKPOINT')
          const w = await dezc(
            f === 'csv.gz'
              ? ['--source', 'backup', '--base-url', `${mirror.url}/download/`, '--table', table]
              : ['--base-url', `${mirror.url}/trip-data/`, '--table', table],
          )
          const got = JSON.parse(w.stdout).result.loads[0]
          if (got.rows !== rows || (await count(table)) !== rows) throw new Error(`${table}: ${got.rows} rows`)
          return w
        })
        const dl = await best(reps, () => run('curl', ['-sS', '-o', '/dev/null', url]))
        // download then psql \copy
        const file = path.join(dir, `dl-${f}`)
        const pt = `p_${f.replace('.', '_')}_${rate}`
        const dlCopy = await best(reps, async () => {
          const d = await run('curl', ['-sS', '-o', file, url])
          await c.query(`DROP TABLE IF EXISTS ${pt}`)
          await c.query('CHECKPOINT')
          let copy: Timed
          if (f === 'csv.gz') {
            await c.query(`CREATE TABLE ${pt} (${csvTypes})`)
            copy = await psql(`\\copy ${pt} FROM PROGRAM 'gzip -dc ${file}' (FORMAT csv, HEADER)`)
          } else {
            await c.query(`CREATE TABLE ${pt} (LIKE ${anyTable}); ALTER TABLE ${pt} DROP COLUMN dezc_load_id`)
            copy = await psql(`\\copy ${pt} (${cols}) FROM '${bin}' (FORMAT binary)`)
          }
          if ((await count(pt)) !== rows) throw new Error(`${pt}: wrong count`)
          fs.rmSync(file)
          return {...copy, seconds: d.seconds + copy.seconds}
        })
        const lo = loadLocal[f]
        const pace = Math.max(dl.seconds, lo.seconds)
        const ratio = whole.seconds / pace
        lines.push(
          [
            `${f.padEnd(7)} ${String(rate).padStart(3)} MB/s`,
            `whole ${whole.seconds.toFixed(2).padStart(6)} s`,
            `download ${dl.seconds.toFixed(2).padStart(6)} s`,
            `local load ${lo.seconds.toFixed(2).padStart(6)} s`,
            `dl+\\copy ${dlCopy.seconds.toFixed(2).padStart(6)} s`,
            `whole/max(dl,load) ${ratio.toFixed(2)}${ratio <= 1.15 ? ' ok' : ' MISSED'}`,
            `whole/dl ${(whole.seconds / dl.seconds).toFixed(2)}`,
            `whole/load ${(whole.seconds / lo.seconds).toFixed(2)}`,
            `whole/(dl+\\copy) ${(whole.seconds / dlCopy.seconds).toFixed(2)}`,
            `RSS ${whole.rssMiB!.toFixed(0)} MiB (local ${lo.rssMiB!.toFixed(0)})`,
          ].join(' | '),
        )
        console.log(lines.at(-1))
      }
    }
    // (b) an fhvhv-shaped month: ~20 M rows in row groups of ~1 M, loaded row group by row group.
    const fhRows = Number(argOf('--fhvhv-rows', '20000000'))
    if (fhRows > 0) lines.push(...(await fhvhvBench({fhRows, rates, dir, mirror, link, dezc, count, c})))

    // (c) many months over one link.
    const months = Number(argOf('--months', '12'))
    const monthFormats = argOf('--months-formats', 'csv.gz,parquet').split(',') as Array<'csv.gz' | 'parquet'>
    const periods = Array.from({length: months}, (_, i) => `2021-${String(i + 1).padStart(2, '0')}`)
    const urls = {
      'csv.gz': periods.map((p) => `/download/yellow/yellow_tripdata_${p}.csv.gz`),
      parquet: periods.map((p) => `/trip-data/yellow_tripdata_${p}.parquet`),
    }
    for (const rate of months > 0 ? rates : []) {
      link.linkRate = rate * 1e6
      for (const f of monthFormats) {
        for (const u of urls[f]) mirror.set(u, {file: local[f], rate: rate * 1e6})
        const args =
          f === 'csv.gz'
            ? ['--source', 'backup', '--base-url', `${mirror.url}/download/`]
            : ['--base-url', `${mirror.url}/trip-data/`]
        const cache = `cache-c-${f}-${rate}`
        const table = `c_${f.replace('.', '_')}_${rate}`
        await c.query('CHECKPOINT')
        const whole = await dezc([...args, '--table', table], cache, [
          `2021-01..2021-${String(months).padStart(2, '0')}`,
        ])
        if ((await count(table)) !== rows * months) throw new Error(`${table}: wrong count`)
        const dl = await run('curl', ['-sS', ...urls[f].flatMap((u) => ['-o', '/dev/null', `${mirror.url}${u}`])])
        await c.query('CHECKPOINT')
        const lo = await dezc([...args, '--table', `${table}_local`], cache, [
          `2021-01..2021-${String(months).padStart(2, '0')}`,
        ])
        if (!JSON.parse(lo.stdout).result.loads.every((l: {fromCache: boolean}) => l.fromCache))
          throw new Error('the local run downloaded')
        const ratio = whole.seconds / Math.max(dl.seconds, lo.seconds)
        lines.push(
          [
            `${months} months ${f.padEnd(7)} ${String(rate).padStart(3)} MB/s`,
            `whole ${whole.seconds.toFixed(2).padStart(6)} s`,
            `download ${dl.seconds.toFixed(2).padStart(6)} s`,
            `load from cache ${lo.seconds.toFixed(2).padStart(6)} s`,
            `whole/max(dl,load) ${ratio.toFixed(2)}${ratio <= 1.15 ? ' ok' : ' MISSED'}`,
            `whole/dl ${(whole.seconds / dl.seconds).toFixed(2)}`,
            `whole/load ${(whole.seconds / lo.seconds).toFixed(2)}`,
            `RSS ${whole.rssMiB!.toFixed(0)} MiB (from cache ${lo.rssMiB!.toFixed(0)})`,
          ].join(' | '),
        )
        console.log(lines.at(-1))
        await c.query(`DROP TABLE ${table}, ${table}_local`)
        fs.rmSync(path.join(dir, cache), {recursive: true, force: true})
      }
    }
    console.log(
      `\nThrottled loopback mirror, PostgreSQL 15 (fsync on), ${os.cpus().length} cores, Node ${process.version}; yellow 2021-01 shape, ${rows.toLocaleString('en-US')} rows; best of ${reps} for one month, one run for ${months} months; load average ${os.loadavg()[0].toFixed(1)}`,
    )
    for (const l of lines) console.log(l)
  } finally {
    await c.end().catch(() => {})
    await mirror.close()
    await server.stop()
    fs.rmSync(dir, {recursive: true, force: true})
  }
}
