/**
 * What the TLC columns mean (after the TLC data dictionaries), their dbt-side names and types:
 * the descriptions of the generated sources.yml and the select list of the staging models.
 */
import type {CanonicalColumn, PgKind} from '../ingest/datasets.js'

const DESCRIPTIONS: Record<string, string> = {
  vendorid: 'Provider of the record: 1 Creative Mobile Technologies, 2 Curb Mobility (VeriFone), 6 Myle, 7 Helix',
  tpep_pickup_datetime: 'When the meter was engaged',
  tpep_dropoff_datetime: 'When the meter was disengaged',
  lpep_pickup_datetime: 'When the meter was engaged',
  lpep_dropoff_datetime: 'When the meter was disengaged',
  pickup_datetime: 'When the trip started',
  dropoff_datetime: 'When the trip ended',
  request_datetime: 'When the passenger requested the ride',
  on_scene_datetime: 'When the driver arrived at the pick-up location',
  passenger_count: 'Number of passengers (entered by the driver)',
  trip_distance: 'Trip distance in miles reported by the taximeter',
  trip_miles: 'Trip distance in miles',
  trip_time: 'Trip duration in seconds',
  ratecodeid:
    'Final rate code: 1 Standard, 2 JFK, 3 Newark, 4 Nassau or Westchester, 5 Negotiated fare, 6 Group ride, 99 Unknown',
  store_and_fwd_flag: 'Y: the trip record was held in the vehicle before sending (no connection to the server); N: not',
  pulocationid: 'TLC taxi zone where the trip started (see the zone lookup)',
  dolocationid: 'TLC taxi zone where the trip ended (see the zone lookup)',
  payment_type: 'How the passenger paid: 1 Credit card, 2 Cash, 3 No charge, 4 Dispute, 5 Unknown, 6 Voided trip',
  fare_amount: 'Time-and-distance fare calculated by the meter (USD)',
  extra: 'Miscellaneous extras and surcharges (USD)',
  mta_tax: 'MTA tax triggered by the metered rate (USD)',
  tip_amount: 'Tip: filled in automatically for credit-card tips; cash tips are not included (USD)',
  tolls_amount: 'Total tolls paid in the trip (USD)',
  ehail_fee: 'E-hail fee (USD)',
  improvement_surcharge: 'Improvement surcharge assessed at the flag drop (USD)',
  total_amount: 'Total charged to the passenger, cash tips not included (USD)',
  congestion_surcharge: 'New York State congestion surcharge (USD)',
  airport_fee: 'Fee for pick-ups at LaGuardia and JFK airports (USD)',
  cbd_congestion_fee: "MTA's Congestion Relief Zone toll, from January 2025 (USD)",
  trip_type: '1 Street-hail, 2 Dispatch',
  dispatching_base_num: 'TLC base license number of the base that dispatched the trip',
  originating_base_num: 'Base number of the base that received the original trip request',
  affiliated_base_number: 'Base number of the base the vehicle is affiliated with',
  sr_flag: '1: part of a shared ride chain offered by a high-volume FHV company; null: not shared',
  hvfhs_license_num: 'TLC license number of the high-volume FHV company (HV0003 Uber, HV0005 Lyft, ...)',
  base_passenger_fare: 'Base passenger fare before tolls, tips, taxes and fees (USD)',
  tolls: 'Total tolls paid in the trip (USD)',
  bcf: 'Black Car Fund amount (USD)',
  sales_tax: 'NYS sales tax (USD)',
  tips: 'Tips received from the passenger (USD)',
  driver_pay: 'Total driver pay, not including tolls or tips (USD)',
  shared_request_flag: 'Did the passenger agree to a shared ride (Y/N)',
  shared_match_flag: 'Did the passenger share the vehicle with another passenger (Y/N)',
  access_a_ride_flag: 'Was the trip administered on behalf of the MTA (Y/N)',
  wav_request_flag: 'Did the passenger request a wheelchair-accessible vehicle (Y/N)',
  wav_match_flag: 'Did the trip occur in a wheelchair-accessible vehicle (Y/N)',
  locationid: 'TLC taxi zone id (1-265)',
  borough: 'NYC borough of the zone (or EWR, Unknown, N/A)',
  zone: 'Name of the taxi zone',
  service_zone: 'Service zone: Yellow Zone, Boro Zone, Airports, EWR, N/A',
  dezc_load_id: 'dezc lineage: the load_id in dezc_ingest_ledger of the load that wrote this row',
}

export function describeColumn(name: string): string | undefined {
  return DESCRIPTIONS[name.toLowerCase()]
}

const RENAMES: Record<string, string> = {
  vendorid: 'vendor_id',
  ratecodeid: 'ratecode_id',
  pulocationid: 'pickup_location_id',
  dolocationid: 'dropoff_location_id',
  tpep_pickup_datetime: 'pickup_datetime',
  tpep_dropoff_datetime: 'dropoff_datetime',
  lpep_pickup_datetime: 'pickup_datetime',
  lpep_dropoff_datetime: 'dropoff_datetime',
  locationid: 'location_id',
}

/** The staging model's name for a source column: snake_case, pick-up/drop-off spelled out. */
export function stagingName(column: string): string {
  return RENAMES[column.toLowerCase()] ?? column.toLowerCase()
}

/** The cross-database type macro (dbt.type_*) a canonical column is cast to in staging. */
export function stagingType(c: CanonicalColumn): string {
  const byKind: Record<PgKind, string> = {
    int8: c.name === 'trip_time' ? 'type_bigint' : 'type_int',
    int4: 'type_int',
    int2: 'type_int',
    float8: 'type_numeric',
    float4: 'type_numeric',
    timestamp: 'type_timestamp',
    timestamptz: 'type_timestamp',
    date: 'type_timestamp',
    bool: 'type_boolean',
    text: 'type_string',
  }
  return `{{ dbt.${byKind[c.kind]}() }}`
}
