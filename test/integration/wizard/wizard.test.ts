/**
 * The wizard in a real terminal (tmux), against the real Docker engine: a full local path, a
 * Ctrl-C path, and what bare `dezc` and `dezc wizard` do without a terminal.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {freePort, removeStack, uniqueStack} from '../../helpers/docker.js'
import {FakeBigQuery} from '../../helpers/fake-bigquery.js'
import {FakeGcp} from '../../helpers/fake-gcp.js'
import {startFakeGcs} from '../../helpers/fake-gcs.js'
import {startSparkMirror} from '../../helpers/spark-fixtures.js'
import {createStandinTerraform, pathWithout} from '../../helpers/standin-terraform.js'
import {startFileServer} from '../../helpers/file-server.js'
import {writeTripParquet} from '../../helpers/tlc-fixtures.js'
import {TmuxSession} from '../../helpers/tmux.js'
import pg from 'pg'

const sessions: TmuxSession[] = []
const projects: string[] = []

function workdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-wizard-'))
}

function privateEnv(dir: string): Record<string, string> {
  return {
    DEZC_CONFIG_DIR: path.join(dir, '.config'),
    DEZC_CACHE_DIR: path.join(dir, '.cache'),
    DEZC_DATA_DIR: path.join(dir, '.data'),
    TERM: 'xterm-256color',
    NO_COLOR: '1',
    NODE_ENV: 'production',
  }
}

afterAll(async () => {
  for (const s of sessions) s.kill()
  for (const p of projects) await removeStack(p)
})

describe('dezc wizard in a real terminal', () => {
  it('local path: picks the profile, starts the stack, loads one month from a loopback mirror, puts it into the lake and BigQuery (fake-gcs-server + the BigQuery STAND-IN), saves the answers, prints the commands', async () => {
    const dir = workdir()
    // The lake step: a real fake-gcs-server and the BigQuery stand-in, named through env as a user's config would.
    const gcs = await startFakeGcs()
    await gcs.createBucket('wiz-lake-bucket')
    const bq = new FakeBigQuery({project: 'wiz-lake-proj', gcsUrl: gcs.url})
    await bq.start()
    await bq.addDataset('trips_data_all', 'US')
    const project = uniqueStack('wiz')
    projects.push(project)
    const [pgPort, paPort] = [await freePort(), await freePort()]
    const srv = await startFileServer({missingStatus: 403})
    const parquet = path.join(dir, 'yellow_tripdata_2021-01.parquet')
    await writeTripParquet(parquet, 'yellow', '2021-01', 5000)
    srv.set('/trip-data/yellow_tripdata_2021-01.parquet', {file: parquet})
    try {
      const env = {
        ...privateEnv(dir),
        DEZC_INGEST_BASE_URL: `${srv.url}/trip-data/`,
        DEZC_LAKE_BUCKET: 'wiz-lake-bucket',
        DEZC_GCS_API_ROOT: gcs.url,
        DEZC_BQ_API_ROOT: bq.url,
        GOOGLE_OAUTH_ACCESS_TOKEN: 'ya29.wizard',
        GOOGLE_CLOUD_PROJECT: 'wiz-lake-proj',
      }
      const s = TmuxSession.start(
        ['wizard', '--stack', project, '--pg-port', String(pgPort), '--pgadmin-port', String(paPort)],
        {cwd: dir, env},
      )
      sessions.push(s)
      await s.waitFor(/Which edition of the course do you follow\?/)
      s.send('Enter') // 2023, the notes
      await s.waitFor(/Where should the database stack run\?/)
      s.send('Enter') // local is the default
      await s.waitFor(
        new RegExp(`Start Postgres on port ${pgPort} and pgAdmin on port ${paPort} \\(profile local\\)\\?`),
      )
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Load NYC taxi trip data into Postgres now\?/, 120_000)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Which dataset\?/)
      s.send('Enter') // yellow is the default
      await s.waitFor(/Which months\?/)
      s.send('Enter') // 2021-01 is the default
      await s.waitFor(/Set up the Prefect 3 workflow/, 120_000)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Set up the Google Cloud service account/)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Create the course's GCS bucket and BigQuery dataset/)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Put yellow 2021-01 into the lake \(gs:\/\/wiz-lake-bucket/)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Write the week-4 dbt project/, 120_000)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Install Spark .* and a JDK/, 120_000)
      s.send('n', true)
      s.send('Enter')
      const screen = await s.waitFor(/To repeat the finished steps without the wizard:/, 120_000)
      expect(screen).toContain(`dezc env up --stack ${project} --pg-port ${pgPort} --pgadmin-port ${paPort}`)
      expect(screen).toContain(`dezc ingest yellow 2021-01 --stack ${project}`)
      expect(screen).toMatch(
        /done +Start Postgres and pgAdmin — Postgres at postgresql:\/\/root:\*+@127\.0\.0\.1:\d+\/nytaxi/,
      )
      expect(screen).toMatch(/done +Load NYC taxi trip data — 5,000 rows in yellow_taxi_data/)
      expect(screen).toMatch(
        /done +Lake and warehouse \(week 3\) — 5,000 rows in wiz-lake-proj:trips_data_all\.yellow_tripdata/,
      )
      expect(screen).toContain('dezc ingest yellow 2021-01 --to bigquery')
      expect(screen).toMatch(/done +dbt project \(week 4\) — 1 source table\(s\) in dbt/)
      expect(screen).toContain(`dezc dbt init --dir dbt --stack ${project}`)
      expect(fs.readFileSync(path.join(dir, 'dbt', 'models/staging/sources.yml'), 'utf8')).toContain('yellow_taxi_data')
      expect(await s.exitCode()).toBe(0)
      const saved = parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8'))
      expect(saved.wizard).toEqual({
        profile: 'local',
        steps: {
          env: {up: true},
          ingest: {dataset: 'yellow', periods: '2021-01'},
          flow: false,
          gcp: false,
          tf: false,
          lake: {dataset: 'yellow', periods: '2021-01'},
          dbt: {dir: 'dbt'},
          spark: false,
        },
      })
      // Real effects: the stack is healthy and the rows are in its Postgres.
      const status = await runCli(['env', 'status', '--stack', project, '--json'])
      expect(status.code, status.stderr).toBe(0)
      expect(status.json().ok).toBe(true)
      const client = new pg.Client({connectionString: `postgresql://root:root@127.0.0.1:${pgPort}/nytaxi`})
      await client.connect()
      try {
        expect((await client.query('select count(*)::int as n from yellow_taxi_data')).rows[0].n).toBe(5000)
        // ...and in the lake and the warehouse.
        expect((await gcs.list('wiz-lake-bucket')).map((o) => o.name)).toEqual([
          'yellow/yellow_tripdata_2021-01.parquet',
        ])
        expect(Number((await bq.sql('SELECT count(*) AS n FROM "trips_data_all"."yellow_tripdata"'))[0].n)).toBe(5000)
      } finally {
        await client.end()
      }
    } finally {
      await srv.close()
      await bq.stop()
      await gcs.stop()
    }
  }, 240_000)

  it('cloud path: skips the stack, bootstraps GCP on the loopback fake, runs a STAND-IN terraform after the plan is confirmed, installs Spark from a loopback mirror', async () => {
    const fake = new FakeGcp()
    await fake.start()
    fake.addProject('wiz-proj-1')
    const spark = await startSparkMirror()
    const tf = createStandinTerraform({
      steps: {
        plan: {code: 2, stdout: 'Plan: 2 to add, 0 to change, 0 to destroy.\n'},
        apply: {stdout: 'Apply complete! Resources: 2 added, 0 changed, 0 destroyed.\n'},
        output: {stdout: '{}'},
      },
    })
    try {
      const dir = workdir()
      const env = {
        ...privateEnv(dir),
        HOME: dir,
        CLOUDSDK_CONFIG: path.join(dir, 'gcloud'),
        DEZC_GOOGLE_API_ROOT: fake.url,
        DEZC_GCP_TIME_SCALE: '0.005',
        GOOGLE_OAUTH_ACCESS_TOKEN: 'test',
        PATH: pathWithout([tf.binDir]),
        SHELL: '/bin/bash',
        JAVA_HOME: '',
        SPARK_HOME: '',
        DEZC_SPARK_MIRROR: spark.mirror,
        DEZC_SPARK_JDK_MIRROR: spark.jdkMirror,
      }
      const s = TmuxSession.start(['wizard', '--stack', uniqueStack('wizg')], {cwd: dir, env})
      sessions.push(s)
      await s.waitFor(/Which edition of the course do you follow\?/)
      s.send('Enter') // 2023, the notes
      await s.waitFor(/Where should the database stack run\?/)
      s.send('Enter')
      await s.waitFor(/Start Postgres on port/)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Load NYC taxi trip data into Postgres now\?/)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Set up the Prefect 3 workflow/)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Set up the Google Cloud service account/)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Google Cloud project ID/)
      s.send('wiz-proj-1', true)
      s.send('Enter')
      await s.waitFor(/Create the course's GCS bucket and BigQuery dataset/, 120_000)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Google Cloud project ID.*wiz-proj-1/) // the bootstrap's project is the default
      s.send('Enter')
      await s.waitFor(/in project wiz-proj-1\?/, 120_000) // terraform's plan, then our confirmation
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Write the week-4 dbt project/, 120_000)
      s.send('n', true)
      s.send('Enter')
      await s.waitFor(/Install Spark 3\.3\.2 and a JDK/, 120_000)
      s.send('y', true)
      s.send('Enter')
      await s.waitFor(/Install Spark 3\.3\.2 and OpenJDK 11[\d.]* into/) // then the install's own confirmation
      s.send('y', true)
      s.send('Enter')
      const screen = await s.waitFor(/To repeat the finished steps without the wizard:/, 120_000)
      expect(screen).toContain('dezc gcp bootstrap --project wiz-proj-1')
      expect(screen).toContain('dezc tf init --project wiz-proj-1')
      expect(screen).toMatch(/skipped +Start Postgres and pgAdmin/)
      expect(screen).toContain('dezc spark install --version 3.3.2')
      expect(fs.existsSync(path.join(dir, 'spark', 'spark-3.3.2-bin-hadoop3', 'bin', 'spark-submit'))).toBe(true)
      expect(fs.readFileSync(path.join(dir, '.bashrc'), 'utf8')).toMatch(/export SPARK_HOME=/)
      expect(await s.exitCode()).toBe(0)
      // Real effects: the fake holds the account and its key; the stand-in applied the saved plan.
      expect([...fake.accounts.values()].map((a) => a.email)).toContain('dezc-sa@wiz-proj-1.iam.gserviceaccount.com')
      const keys = fs.readdirSync(path.join(dir, '.gc')).filter((f) => f.endsWith('.json'))
      expect(keys).toHaveLength(1)
      expect(fs.statSync(path.join(dir, '.gc', keys[0])).mode & 0o777).toBe(0o600)
      expect(tf.runs().map((c) => c.argv[0])).toEqual(['init', 'plan', 'apply', 'output'])
      expect(parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8')).wizard.steps).toEqual({
        env: false,
        ingest: false,
        flow: false,
        gcp: {project: 'wiz-proj-1'},
        tf: {project: 'wiz-proj-1'},
        lake: false,
        dbt: false,
        spark: {version: '3.3.2'},
      })
    } finally {
      await fake.stop()
      await spark.close()
    }
  }, 240_000)

  it('NAS profile without an endpoint: asks for it (validated) and keeps it in the profile', async () => {
    const dir = workdir()
    const s = TmuxSession.start(['wizard', '--stack', uniqueStack('wizn')], {
      cwd: dir,
      env: {...privateEnv(dir), DOCKER_HOST: '', DOCKER_CONTEXT: ''},
    })
    sessions.push(s)
    await s.waitFor(/Which edition of the course do you follow\?/)
    s.send('Enter') // 2023, the notes
    await s.waitFor(/Where should the database stack run\?/)
    s.send('Down')
    s.send('Enter') // synology
    await s.waitFor(/Docker endpoint of the NAS/)
    s.send('nas.local', true)
    s.send('Enter')
    await s.waitFor(/Use ssh:\/\/USER@HOST or tcp:\/\/HOST:PORT/) // validated before it is used
    s.send('C-u')
    s.send('ssh://admin@nas.local', true)
    s.send('Enter')
    await s.waitFor(/Start Postgres on port 5433 and pgAdmin on port 8080 \(profile synology\)\?/)
    expect(parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8'))).toMatchObject({
      profiles: {synology: {docker: {host: 'ssh://admin@nas.local'}}},
      wizard: {profile: 'synology'},
    })
    s.send('C-c')
    expect(await s.exitCode()).toBe(130)
  }, 120_000)

  it("the edition question: 2026 gives today's pgAdmin port and is saved as course: in dezc.yaml", async () => {
    const dir = workdir()
    const s = TmuxSession.start(['wizard', '--stack', uniqueStack('wize')], {cwd: dir, env: privateEnv(dir)})
    sessions.push(s)
    await s.waitFor(/Which edition of the course do you follow\?/)
    s.send('Down')
    s.send('Enter') // 2026
    await s.waitFor(/Where should the database stack run\?/)
    s.send('Enter')
    await s.waitFor(/Start Postgres on port 5432 and pgAdmin on port 8085 \(profile local\)\?/)
    expect(parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8'))).toMatchObject({
      course: '2026',
      wizard: {profile: 'local'},
    })
    s.send('C-c')
    expect(await s.exitCode()).toBe(130)
  }, 120_000)

  it('Ctrl-C at a prompt exits 130 and keeps the answers of finished steps', async () => {
    const dir = workdir()
    const s = TmuxSession.start(['wizard', '--stack', uniqueStack('wizc')], {cwd: dir, env: privateEnv(dir)})
    sessions.push(s)
    await s.waitFor(/Which edition of the course do you follow\?/)
    s.send('Enter') // 2023, the notes
    await s.waitFor(/Where should the database stack run\?/)
    s.send('Enter')
    await s.waitFor(/Start Postgres on port/)
    s.send('C-c')
    expect(await s.exitCode()).toBe(130)
    expect(s.screen()).toMatch(/Interrupted at the prompt/)
    expect(parse(fs.readFileSync(path.join(dir, 'dezc.yaml'), 'utf8')).wizard).toEqual({profile: 'local'})
  }, 120_000)

  it('without a terminal: `dezc wizard` refuses with the commands to run instead; bare `dezc` shows the help', async () => {
    const r = await runCli(['wizard'])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('[NON_INTERACTIVE]')
    expect(r.stderr).toContain('dezc env up')
    const bare = await runCli([])
    expect(bare.code).toBe(0)
    expect(bare.stdout).toMatch(/USAGE/)
    expect(bare.stdout).toContain('New here? `dezc wizard`')
  })
})
