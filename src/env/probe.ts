/** Client-side probes of published ports: is something listening, does Postgres answer, does pgAdmin. */
import http from 'node:http'
import net from 'node:net'
import {isLoopback, type Stack} from './settings.js'
import type {ServiceName} from './spec.js'

/** True when a TCP connection to host:port succeeds within timeoutMs. */
export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host, port})
    const done = (open: boolean) => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Runs `select 1` with the stack's credentials; resolves true when Postgres accepts a query. */
export async function postgresAnswers(opts: {
  host: string
  port: number
  user: string
  password: string
  database: string
  timeoutMs?: number
}): Promise<boolean> {
  const {default: pg} = await import('pg')
  const client = new pg.Client({
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    connectionTimeoutMillis: opts.timeoutMs ?? 1000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    client.end().catch(() => {})
  }
}

/** GET url; resolves the status code (0 when unreachable). */
export function httpStatus(url: string, timeoutMs = 1000): Promise<{status: number; body: string}> {
  return new Promise((resolve) => {
    const req = http.get(url, {timeout: timeoutMs}, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => {
        if (body.length < 4096) body += d
      })
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
      res.on('error', () => resolve({status: 0, body: ''}))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve({status: 0, body: ''}))
  })
}

/** host:port for URLs (IPv6 literals in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * The readiness users care about, seen from here: Postgres accepts a query with the stack's
 * credentials, pgAdmin answers /misc/ping. `env up` and `env status` share it, so a stack `up` just
 * called healthy is never reported as still starting while Docker's next healthcheck tick is due.
 * False when the port cannot be reached from here (published on loopback of a remote engine).
 */
export async function serviceAnswers(o: {
  service: ServiceName
  stack: Stack
  host: string
  port: number
  remote: boolean
  timeoutMs?: number
}): Promise<boolean> {
  if (o.remote && isLoopback(o.stack.publish)) return false
  const timeoutMs = o.timeoutMs ?? 800
  if (o.service === 'postgres') {
    const pg = o.stack.postgres
    return postgresAnswers({
      host: o.host,
      port: o.port,
      user: pg.user,
      password: pg.password ?? '',
      database: pg.db,
      timeoutMs,
    })
  }
  return (await httpStatus(`http://${hostPort(o.host, o.port)}/misc/ping`, timeoutMs)).status === 200
}
