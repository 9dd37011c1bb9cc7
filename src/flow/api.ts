/**
 * The few calls of Prefect 3's REST API that `dezc flow` makes (server at `<url>/api`): health,
 * work pools and their workers, deployments, flow runs with their task runs, and logs.
 */
import {DezcError, ExitCode, systemErrorCode} from '../core/errors.js'
import {withRetry} from '../core/retry.js'

// A 500 may come after a write was committed: only calls that change nothing retry it.
const TRANSIENT_WRITE = new Set([429, 502, 503, 504])
const TRANSIENT_READ = new Set([...TRANSIENT_WRITE, 500])

export interface Deployment {
  id: string
  name: string
  flow_id: string
  work_pool_name?: string
  parameter_openapi_schema?: {properties?: Record<string, {type?: string; anyOf?: Array<{type?: string}>}>}
  paused?: boolean
  status?: string
}

export interface FlowRun {
  id: string
  name: string
  state_type?: string
  state_name?: string
  state?: {type: string; name: string; message?: string}
  parameters?: Record<string, unknown>
}

export interface TaskRun {
  id: string
  name: string
  state_type?: string
  state_name?: string
  run_count?: number
}

export interface LogEntry {
  level: number
  timestamp: string
  name: string
  message: string
  task_run_id?: string | null
}

export interface Worker {
  name: string
  status?: string
  last_heartbeat_time?: string
}

export class PrefectApi {
  constructor(
    /** The server's URL without /api, e.g. http://127.0.0.1:4200. */
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async healthy(): Promise<boolean> {
    try {
      const r = await fetch(`${this.url}/api/health`, {signal: AbortSignal.timeout(2000)})
      return r.ok && (await r.text()).trim() === 'true'
    } catch {
      return false
    }
  }

  /**
   * A JSON call; a 404 is undefined when `allow404`. Like Prefect's own client, answers of
   * 429/502/503/504 are retried a few times; calls that change nothing also retry a 500 (SQLite
   * "database is locked" on a busy server) and a connection that broke mid-request. A refused connection is a
   * server that is down: no retry, so `flow run` without a server fails at once.
   */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, allow404 = false): Promise<T> {
    const readOnly = method === 'GET' || path.endsWith('/filter')
    return withRetry(() => this.callOnce<T>(method, path, body, allow404), {
      retryOn: (error) =>
        error instanceof DezcError &&
        ((readOnly ? TRANSIENT_READ : TRANSIENT_WRITE).has(Number(error.details?.status)) ||
          (error.code === 'FLOW_SERVER_DOWN' && readOnly && error.details?.refused !== true)),
      initialMs: 300,
      totalMs: 5000,
      minAttempts: 4,
    })
  }

  private async callOnce<T>(method: 'GET' | 'POST', path: string, body: unknown, allow404: boolean): Promise<T> {
    let r: Response
    try {
      r = await fetch(`${this.url}/api${path}`, {
        method,
        headers: body === undefined ? {} : {'content-type': 'application/json'},
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (error) {
      throw new DezcError({
        code: 'FLOW_SERVER_DOWN',
        message: `The Prefect server at ${this.url} does not answer (${(error as Error).cause ?? (error as Error).message}).`,
        suggestion: 'Start it with: dezc flow up',
        exit: ExitCode.UNHEALTHY,
        cause: error,
        details: {refused: systemErrorCode(error) === 'ECONNREFUSED'},
      })
    }
    if (r.status === 404 && allow404) return undefined as T
    const text = await r.text()
    if (!r.ok)
      throw new DezcError({
        code: r.status === 409 || r.status === 422 ? 'INVALID_PARAMETER' : 'PREFECT_API_ERROR',
        message: `Prefect answered ${r.status} to ${method} /api${path}: ${text.slice(0, 1000)}`,
        exit: r.status === 409 || r.status === 422 ? ExitCode.USAGE : ExitCode.FAILURE,
        details: {status: r.status},
      })
    return (text ? JSON.parse(text) : undefined) as T
  }

  workPool(name: string): Promise<{name: string; type: string} | undefined> {
    return this.call('GET', `/work_pools/${encodeURIComponent(name)}`, undefined, true)
  }

  workers(pool: string): Promise<Worker[]> {
    return this.call('POST', `/work_pools/${encodeURIComponent(pool)}/workers/filter`, {})
  }

  deployments(): Promise<Deployment[]> {
    return this.call('POST', '/deployments/filter', {limit: 200})
  }

  async flowNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map()
    const flows = await this.call<Array<{id: string; name: string}>>('POST', '/flows/filter', {
      flows: {id: {any_: ids}},
    })
    return new Map(flows.map((f) => [f.id, f.name]))
  }

  createFlowRun(deploymentId: string, parameters: Record<string, unknown>): Promise<FlowRun> {
    return this.call('POST', `/deployments/${deploymentId}/create_flow_run`, {parameters})
  }

  flowRun(id: string): Promise<FlowRun> {
    return this.call('GET', `/flow_runs/${id}`)
  }

  taskRuns(flowRunId: string): Promise<TaskRun[]> {
    return this.call('POST', '/task_runs/filter', {
      flow_runs: {id: {any_: [flowRunId]}},
      sort: 'EXPECTED_START_TIME_ASC',
    })
  }

  logs(flowRunId: string, limit = 200): Promise<LogEntry[]> {
    return this.call('POST', '/logs/filter', {logs: {flow_run_id: {any_: [flowRunId]}}, sort: 'TIMESTAMP_ASC', limit})
  }
}

/** Prefect's numeric log levels as names. */
export function levelName(level: number): string {
  return level >= 50 ? 'CRITICAL' : level >= 40 ? 'ERROR' : level >= 30 ? 'WARNING' : level >= 20 ? 'INFO' : 'DEBUG'
}
