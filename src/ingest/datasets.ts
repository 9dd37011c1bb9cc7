/**
 * The datasets dezc ingests, their canonical table schemas (which absorb the drift between
 * years: column casing, integer widths, null-typed and new columns), and where their files live.
 * Pure data and functions: no I/O.
 */

/** PostgreSQL column types the binary COPY encoder writes. */
export type PgKind =
  'int8' | 'int4' | 'int2' | 'float8' | 'float4' | 'timestamp' | 'timestamptz' | 'date' | 'bool' | 'text'

export interface CanonicalColumn {
  /** Column name in the table (TLC casing; matched case-insensitively against files). */
  name: string
  kind: PgKind
}

export type DatasetName = 'yellow' | 'green' | 'fhv' | 'fhvhv' | 'zones'

export interface DatasetSpec {
  name: DatasetName
  description: string
  /** Default target table (course naming). */
  table: string
  columns: CanonicalColumn[]
  /** True for monthly trip files; false for the one-off zone lookup. */
  monthly: boolean
  /** First month published with the schema dezc maps (YYYY-MM). */
  firstPeriod?: string
  format: 'parquet' | 'csv'
}

const c = (name: string, kind: PgKind): CanonicalColumn => ({name, kind})
const money = (...names: string[]) => names.map((n) => c(n, 'float8'))

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  yellow: {
    name: 'yellow',
    description: 'Yellow taxi trips (TPEP), monthly parquet',
    table: 'yellow_taxi_data',
    monthly: true,
    firstPeriod: '2011-01',
    format: 'parquet',
    columns: [
      c('VendorID', 'int8'),
      c('tpep_pickup_datetime', 'timestamp'),
      c('tpep_dropoff_datetime', 'timestamp'),
      c('passenger_count', 'int8'),
      c('trip_distance', 'float8'),
      c('RatecodeID', 'int8'),
      c('store_and_fwd_flag', 'text'),
      c('PULocationID', 'int8'),
      c('DOLocationID', 'int8'),
      c('payment_type', 'int8'),
      // prettier-ignore
      ...money('fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge', 'total_amount', 'congestion_surcharge', 'airport_fee', 'cbd_congestion_fee'),
    ],
  },
  green: {
    name: 'green',
    description: 'Green taxi trips (LPEP), monthly parquet',
    table: 'green_taxi_data',
    monthly: true,
    firstPeriod: '2014-01',
    format: 'parquet',
    columns: [
      c('VendorID', 'int8'),
      c('lpep_pickup_datetime', 'timestamp'),
      c('lpep_dropoff_datetime', 'timestamp'),
      c('store_and_fwd_flag', 'text'),
      c('RatecodeID', 'int8'),
      c('PULocationID', 'int8'),
      c('DOLocationID', 'int8'),
      c('passenger_count', 'int8'),
      c('trip_distance', 'float8'),
      // prettier-ignore
      ...money('fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'ehail_fee', 'improvement_surcharge', 'total_amount'),
      c('payment_type', 'int8'),
      c('trip_type', 'int8'),
      ...money('congestion_surcharge', 'cbd_congestion_fee'),
    ],
  },
  fhv: {
    name: 'fhv',
    description: 'For-hire vehicle trips, monthly parquet',
    table: 'fhv_taxi_data',
    monthly: true,
    firstPeriod: '2015-01',
    format: 'parquet',
    columns: [
      c('dispatching_base_num', 'text'),
      c('pickup_datetime', 'timestamp'),
      c('dropOff_datetime', 'timestamp'),
      c('PUlocationID', 'int8'),
      c('DOlocationID', 'int8'),
      c('SR_Flag', 'int8'),
      c('Affiliated_base_number', 'text'),
    ],
  },
  fhvhv: {
    name: 'fhvhv',
    description: 'High-volume for-hire vehicle trips (Uber, Lyft, ...), monthly parquet',
    table: 'fhvhv_taxi_data',
    monthly: true,
    firstPeriod: '2019-02',
    format: 'parquet',
    columns: [
      c('hvfhs_license_num', 'text'),
      c('dispatching_base_num', 'text'),
      c('originating_base_num', 'text'),
      c('request_datetime', 'timestamp'),
      c('on_scene_datetime', 'timestamp'),
      c('pickup_datetime', 'timestamp'),
      c('dropoff_datetime', 'timestamp'),
      c('PULocationID', 'int8'),
      c('DOLocationID', 'int8'),
      c('trip_miles', 'float8'),
      c('trip_time', 'int8'),
      // prettier-ignore
      ...money('base_passenger_fare', 'tolls', 'bcf', 'sales_tax', 'congestion_surcharge', 'airport_fee', 'tips', 'driver_pay'),
      c('shared_request_flag', 'text'),
      c('shared_match_flag', 'text'),
      c('access_a_ride_flag', 'text'),
      c('wav_request_flag', 'text'),
      c('wav_match_flag', 'text'),
      c('cbd_congestion_fee', 'float8'),
    ],
  },
  zones: {
    name: 'zones',
    description: 'Taxi zone lookup (265 rows, CSV)',
    table: 'zones',
    monthly: false,
    format: 'csv',
    columns: [c('LocationID', 'int4'), c('Borough', 'text'), c('Zone', 'text'), c('service_zone', 'text')],
  },
}

export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[]

export function isDatasetName(name: string): name is DatasetName {
  return Object.hasOwn(DATASETS, name)
}

/** The TLC CloudFront trip-data folder. */
export const TLC_BASE_URL = 'https://d37ci6vzurychx.cloudfront.net/trip-data/'
/** The course's CSV backup releases (github.com/DataTalksClub/nyc-tlc-data). */
export const BACKUP_BASE_URL = 'https://github.com/DataTalksClub/nyc-tlc-data/releases/download/'

export type SourceKind = 'tlc' | 'backup'

/** Ledger key for the zone lookup (it has no month). */
export const ZONES_PERIOD = 'lookup'

function withSlash(u: string): string {
  return u.endsWith('/') ? u : u + '/'
}

/**
 * The file URL for a dataset period. TLC: `<base><ds>_tripdata_<YYYY-MM>.parquet` and the zone CSV
 * under `misc/` beside the trip-data folder. Backup: `<base><ds>/<ds>_tripdata_<YYYY-MM>.csv.gz`.
 */
export function sourceUrl(dataset: DatasetName, period: string, baseUrl: string, source: SourceKind = 'tlc'): string {
  const base = withSlash(baseUrl)
  if (source === 'backup') {
    if (dataset === 'zones') return new URL('misc/taxi_zone_lookup.csv', base).toString()
    return new URL(`${dataset}/${dataset}_tripdata_${period}.csv.gz`, base).toString()
  }
  if (dataset === 'zones') return new URL('../misc/taxi_zone_lookup.csv', base).toString()
  return new URL(`${dataset}_tripdata_${period}.parquet`, base).toString()
}
