/**
 * bench/lake: `dezc lake upload` vs a sequential single-stream upload of the same files with the same
 * client (@google-cloud/storage, one resumable upload at a time: what `gsutil cp` of one file at a
 * time does), into the real fake-gcs-server on loopback (in-memory backend). Generated yellow months
 * (DuckDB, the test fixtures' realistic columns) are served by the loopback file server.
 *   as-is      dezc --as-is, downloads cached: download check + hashing + parallel upload
 *   canonical  dezc default, cold normalisation cache: adds the DuckDB rewrite
 *   sequential the TLC files, one `bucket.upload` after another
 * Prints MB/s, the ratio to the sequential rate, the normalisation overhead, and API calls per month
 * (counted by a recording proxy in the untimed warm-up run only: the timed runs, dezc's and the
 * sequential one, all talk to fake-gcs-server directly, so the proxy's own CPU is in none of them).
 * Usage: bench/lake [--months N] [--rows N] [--jobs N] [--data DIR (keep the generated months there)]
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

/** CPU seconds (user + system, all threads) a live process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return Number.NaN
  }
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{code: number | null; ms: number; cpu: number; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
      cwd: root,
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    // Sampled every 50 ms: the last sample before exit is the process's CPU time (within 50 ms).
    let cpu = 0
    const sampler = setInterval(() => {
      const c = cpuSeconds(child.pid!)
      if (!Number.isNaN(c)) cpu = c
    }, 50)
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', () => clearInterval(sampler))
    child.on('close', (code) => resolve({code, ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu, stdout, stderr}))
  })
}

const dataIdx = process.argv.indexOf('--data')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-bench-lake-'))
const dataDir = dataIdx >= 0 ? path.resolve(process.argv[dataIdx + 1]) : dir
fs.mkdirSync(dataDir, {recursive: true})
const srcFile = (p: string) => path.join(dataDir, `yellow_tripdata_${p}.parquet`)
const gcs = await startFakeGcs()
const proxy = await startGcsProxy(gcs.url)
const srv = await startFileServer()
try {
  const t0 = Date.now()
  for (const p of months) {
    const file = srcFile(p)
    const stamp = `${file}.rows`
    if (!(fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === String(rows))) {
      await writeTripParquet(file, 'yellow', p, rows)
      fs.writeFileSync(stamp, String(rows))
    }
    srv.set(`/trip-data/yellow_tripdata_${p}.parquet`, {file})
  }
  const srcBytes = months.reduce((a, p) => a + fs.statSync(srcFile(p)).size, 0)
  console.log(
    `generated ${monthsN} months x ${rows.toLocaleString('en-US')} rows (${(srcBytes / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )
  for (const b of ['bench-asis', 'bench-canonical', 'bench-sequential']) await gcs.createBucket(b)
  const env = {
    GOOGLE_OAUTH_ACCESS_TOKEN: 'bench',
    DEZC_GCS_API_ROOT: gcs.url,
    DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
    DEZC_CACHE_DIR: path.join(dir, 'cache'),
    CI: 'true',
    NODE_ENV: 'production',
  }
  const range = `${months[0]}..${months.at(-1)}`
  // Warm the download cache (not timed): both timed dezc runs then read the same cached TLC files.
  // This run alone goes through the recording proxy, to count the API calls per month.
  const prime = await run(
    ['lake', 'upload', 'yellow', range, '--as-is', '--bucket', 'bench-canonical', '--jobs', String(jobs)],
    {...env, DEZC_GCS_API_ROOT: proxy.url},
  )
  if (prime.code !== 0) throw new Error(prime.stderr)
  const calls = proxy.requests.length
  for (const o of await gcs.list('bench-canonical'))
    await fetch(`${gcs.url}/storage/v1/b/bench-canonical/o/${encodeURIComponent(o.name)}`, {method: 'DELETE'})

  const gcsCpu = () => cpuSeconds(gcs.pid)
  /** One timed dezc run straight to fake-gcs-server: wall time, dezc's CPU and the server's. */
  const timed = async (label: string, bucket: string, extra: string[]) => {
    const g0 = gcsCpu()
    const r = await run(['lake', 'upload', 'yellow', range, '--bucket', bucket, '--json', ...extra], env)
    if (r.code !== 0) throw new Error(`${label}: ${r.stderr}`)
    const res = JSON.parse(r.stdout).result as {uploads: Array<{method?: string}>; totals: {bytes: number}}
    return {label, ms: r.ms, cpu: r.cpu, serverCpu: gcsCpu() - g0, bytes: res.totals.bytes, uploads: res.uploads}
  }
  for (const b of ['bench-asis-1', 'bench-canonical-warm']) await gcs.createBucket(b)
  const load0 = os.loadavg()[0]
  const asIs = await timed(`dezc lake upload --as-is --jobs ${jobs}`, 'bench-asis', ['--as-is', '--jobs', String(jobs)])
  const asIs1 = await timed('dezc lake upload --as-is --jobs 1', 'bench-asis-1', ['--as-is', '--jobs', '1'])
  const canonical = await timed(`dezc lake upload --jobs ${jobs} (canonical, cold normalisation)`, 'bench-canonical', [
    '--jobs',
    String(jobs),
  ])
  const warm = await timed(
    `dezc lake upload --jobs ${jobs} (canonical, normalised files cached)`,
    'bench-canonical-warm',
    ['--jobs', String(jobs)],
  )

  const {Storage} = await import('@google-cloud/storage')
  const storage = new Storage({apiEndpoint: gcs.url, projectId: 'bench'})
  const g0 = gcsCpu()
  const c0 = process.cpuUsage()
  const ts = process.hrtime.bigint()
  for (const p of months)
    await storage.bucket('bench-sequential').upload(srcFile(p), {
      destination: `yellow/yellow_tripdata_${p}.parquet`,
      resumable: true,
    })
  const seqMs = Number(process.hrtime.bigint() - ts) / 1e6
  const cu = process.cpuUsage(c0)
  const seq = {
    label: 'sequential single-stream (same client, bucket.upload one file at a time)',
    ms: seqMs,
    cpu: (cu.user + cu.system) / 1e6,
    serverCpu: gcsCpu() - g0,
    bytes: srcBytes,
    uploads: [] as Array<{method?: string}>,
  }
  const load1 = os.loadavg()[0]

  const rate = (x: {bytes: number; ms: number}) => x.bytes / 1e6 / (x.ms / 1000)
  const line = (x: typeof seq, extra = '') =>
    console.log(
      `${x.label}: ${(x.bytes / 1e6).toFixed(1)} MB in ${(x.ms / 1000).toFixed(2)} s = ${rate(x).toFixed(1)} MB/s` +
        (x === seq ? '' : `, ${(rate(x) / rate(seq)).toFixed(2)}x sequential`) +
        `; CPU: client ${x.cpu.toFixed(1)} s + fake-gcs-server ${x.serverCpu.toFixed(1)} s${extra}`,
    )
  const methods = (x: {uploads: Array<{method?: string}>}) => {
    const m = new Map<string, number>()
    for (const u of x.uploads) if (u.method) m.set(u.method, (m.get(u.method) ?? 0) + 1)
    return [...m].map(([k, v]) => `${v} ${k}`).join(', ')
  }
  console.log(
    `load average ${load0.toFixed(2)} before the timed runs, ${load1.toFixed(2)} after (${os.cpus().length} cores)`,
  )
  line(seq)
  line(asIs, `; ${methods(asIs)}; ${(calls / monthsN).toFixed(1)} storage API calls per month`)
  line(asIs1)
  line(
    canonical,
    `; normalisation adds ${(((canonical.ms - asIs.ms) / asIs.ms) * 100).toFixed(0)} % to the --as-is time`,
  )
  line(
    warm,
    `; normalisation (cached) adds ${(((warm.ms - asIs.ms) / asIs.ms) * 100).toFixed(0)} % to the --as-is time`,
  )
} finally {
  await proxy.close()
  await gcs.stop()
  await srv.close()
  fs.rmSync(dir, {recursive: true, force: true})
}
