/** The oclif flags of `dezc ingest` (values go to settings.ts). */
import {Flags} from '@oclif/core'
import {dryRunFlag} from '../core/flags.js'
import {bqTargetFlags} from '../bq/flags.js'
import {stackFlags} from '../env/flags.js'
import {lakeTargetFlags} from '../lake/flags.js'

export const ingestFlags = {
  ...stackFlags,
  ...dryRunFlag,
  to: Flags.string({
    description:
      "Where to load: postgres (the env stack's Postgres, or --db-url), duckdb (a DuckDB file, --duckdb-file) or bigquery (normalised, uploaded to the bucket, loaded with load jobs: dezc lake upload + dezc bq load in one step).",
    options: ['postgres', 'duckdb', 'bigquery'],
    env: 'DEZC_INGEST_TO',
  }),
  project: bqTargetFlags.project,
  'bq-dataset': bqTargetFlags['bq-dataset'],
  bucket: lakeTargetFlags.bucket,
  'tf-dir': lakeTargetFlags['tf-dir'],
  'duckdb-file': Flags.string({
    description: 'The DuckDB database file of --to duckdb (created if missing; default taxi.duckdb).',
    env: 'DEZC_INGEST_DUCKDB_FILE',
  }),
  'db-url': Flags.string({
    description: "Target database (postgresql://user:pass@host:port/db); default: the env stack's Postgres.",
    env: 'DEZC_INGEST_DB_URL',
  }),
  table: Flags.string({
    description: 'Target table (default: yellow_taxi_data, green_taxi_data, fhv_taxi_data, fhvhv_taxi_data, zones).',
  }),
  'base-url': Flags.string({
    description: 'Where the trip files are (default: the TLC CDN https://d37ci6vzurychx.cloudfront.net/trip-data/).',
    env: 'DEZC_INGEST_BASE_URL',
  }),
  source: Flags.string({
    description: "tlc: the TLC parquet files; backup: the course's csv.gz releases.",
    options: ['tlc', 'backup'],
  }),
  file: Flags.string({description: "Load this local file or URL instead of the month's standard file."}),
  force: Flags.boolean({
    description: 'Reload periods that are already loaded (replaces exactly their rows, atomically).',
  }),
  strict: Flags.boolean({
    description: 'Fail when a file has a column the canonical schema does not know (default: add it with a warning).',
  }),
  'no-cache': Flags.boolean({description: 'Download again even when the cached file is current.'}),
  jobs: Flags.integer({description: 'Downloads in flight at once (loads run one at a time).', min: 1, max: 8}),
  'in-network': Flags.boolean({
    description:
      "Run the ingest in a container on the env stack's Docker network (built once from docker/ingest), so the data never crosses this machine's link.",
  }),
  'image-base': Flags.string({
    description:
      'Base image for the --in-network image (needs node >= 20.19 and glibc; default node:20-bookworm-slim).',
    env: 'DEZC_INGEST_IMAGE_BASE',
  }),
}
