/**
 * bench/lake: `dezc lake upload` vs a sequential single-stream upload of the same files with the same
 * client (@google-cloud/storage, one resumable upload at a time: what `gsutil cp` of one file at a
 * time does), into the real fake-gcs-server on loopback (in-memory backend). Generated yellow months
 * (DuckDB, the test fixtures' realistic columns) are served by the loopback file server.
 *   as-is      dezc --as-is, downloads cached: download check + hashing + parallel upload
 *   canonical  dezc default, cold normalisation cache: adds the DuckDB rewrite
 *   sequential the TLC files, one `bucket.upload` after another
 * Prints MB/s, the ratio to the sequential rate, the normalisation overhead, and API calls per month
 * (counted by a recording proxy).
 * Usage: bench/lake [--months N] [--rows N] [--jobs N]
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {startFakeGcs, startGcsProxy} from '../test/helpers/fake-gcs.js'
import {startFileServer} from '../test/helpers/file-server.js'
import {writeTripParquet} from '../test/helpers/tlc-fixtures.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const monthsN = arg('--months', 12)
const rows = arg('--rows', 1_400_000)
const jobs = arg('--jobs', 4)
const months = Array.from({length: monthsN}, (_, i) => `2021-${String(i + 1).padStart(2, '0')}`)

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{code: number | null; ms: number; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
      cwd: root,
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout, stderr}))
  })
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-lake-'))
const gcs = await startFakeGcs()
const proxy = await startGcsProxy(gcs.url)
const srv = await startFileServer()
try {
  const t0 = Date.now()
  for (const p of months) {
    const file = path.join(dir, `yellow_tripdata_${p}.parquet`)
    await writeTripParquet(file, 'yellow', p, rows)
    srv.set(`/trip-data/yellow_tripdata_${p}.parquet`, {file})
  }
  const srcBytes = months.reduce((a, p) => a + fs.statSync(path.join(dir, `yellow_tripdata_${p}.parquet`)).size, 0)
  console.log(
    `generated ${monthsN} months x ${rows.toLocaleString('en-US')} rows (${(srcBytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )
  for (const b of ['bench-asis', 'bench-canonical', 'bench-sequential']) await gcs.createBucket(b)
  const env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'bench',
    DEZC_GCS_API_ROOT: proxy.url,
    DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
    DEZC_CACHE_DIR: path.join(dir, 'cache'),
    CI: 'true',
    NODE_ENV: 'production',
  }
  const range = `${months[0]}..${months.at(-1)}`
  // Warm the download cache (not timed): both timed dezc runs then read the same cached TLC files.
  const prime = await run(
    ['lake', 'upload', 'yellow', range, '--as-is', '--bucket', 'bench-canonical', '--jobs', String(jobs)],
    env,
  )
  if (prime.code !== 0) throw new Error(prime.stderr)
  for (const o of await gcs.list('bench-canonical'))
    await fetch(`${gcs.url}/storage/v1/b/bench-canonical/o/${encodeURIComponent(o.name)}`, {method: 'DELETE'})

  proxy.clear()
  const asIs = await run(
    ['lake', 'upload', 'yellow', range, '--as-is', '--bucket', 'bench-asis', '--jobs', String(jobs), '--json'],
    env,
  )
  if (asIs.code !== 0) throw new Error(asIs.stderr)
  const calls = proxy.requests.length
  const asIsBytes = JSON.parse(asIs.stdout).result.totals.bytes as number

  const canonical = await run(
    ['lake', 'upload', 'yellow', range, '--bucket', 'bench-canonical', '--jobs', String(jobs), '--json'],
    env,
  )
  if (canonical.code !== 0) throw new Error(canonical.stderr)
  const canonicalBytes = JSON.parse(canonical.stdout).result.totals.bytes as number

  const {Storage} = await import('@google-cloud/storage')
  const storage = new Storage({apiEndpoint: gcs.url, projectId: 'bench'})
  const ts = process.hrtime.bigint()
  for (const p of months)
    await storage.bucket('bench-sequential').upload(path.join(dir, `yellow_tripdata_${p}.parquet`), {
      destination: `yellow/yellow_tripdata_${p}.parquet`,
      resumable: true,
    })
  const seqMs = Number(process.hrtime.bigint() - ts) / 1e6

  const rate = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000)
  const seqRate = rate(srcBytes, seqMs)
  const asIsRate = rate(asIsBytes, asIs.ms)
  const canRate = rate(canonicalBytes, canonical.ms)
  console.log(
    `sequential single-stream (same client): ${(srcBytes / 1e6).toFixed(1)} MB in ${(seqMs / 1000).toFixed(2)} s = ${seqRate.toFixed(1)} MB/s`,
  )
  console.log(
    `dezc lake upload --as-is --jobs ${jobs}: ${(asIsBytes / 1e6).toFixed(1)} MB in ${(asIs.ms / 1000).toFixed(2)} s (whole command) = ${asIsRate.toFixed(1)} MB/s, ${(asIsRate / seqRate).toFixed(2)}x sequential; ${(calls / monthsN).toFixed(1)} storage API calls per month`,
  )
  console.log(
    `dezc lake upload (canonical, cold normalisation) --jobs ${jobs}: ${(canonicalBytes / 1e6).toFixed(1)} MB in ${(canonical.ms / 1000).toFixed(2)} s = ${canRate.toFixed(1)} MB/s; normalisation adds ${(((canonical.ms - asIs.ms) / asIs.ms) * 100).toFixed(0)} % to the --as-is time`,
  )
} finally {
  await proxy.close()
  await gcs.stop()
  await srv.close()
  fs.rmSync(dir, {recursive: true, force: true})
}
