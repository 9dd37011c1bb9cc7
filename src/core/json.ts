/**
 * The one --json envelope every command prints on stdout (README "JSON output"):
 *   {"status": 0, "result": ..., "warnings": [...]}   on success (status is the exit code: doctor's
 *                                                     failed checks are status 5 with a result)
 *   {"status": N, "error": {...}, "warnings": [...]}  on failure
 * `env logs -f --json` is the one stream: JSON Lines, one object per log line, no envelope.
 */
import type {DezcErrorJson} from './errors.js'

export interface JsonSuccess<R = unknown> {
  status: number
  result: R
  warnings: string[]
}

export interface JsonFailure {
  status: number
  error: DezcErrorJson
  warnings: string[]
}

export type JsonEnvelope<R = unknown> = JsonSuccess<R> | JsonFailure

export function successEnvelope<R>(result: R, warnings: string[], status = 0): JsonSuccess<R> {
  return {status, result: result ?? (null as R), warnings}
}

export function failureEnvelope(error: DezcErrorJson, warnings: string[]): JsonFailure {
  return {status: error.exit, error, warnings}
}
