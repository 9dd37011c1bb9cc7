/**
 * The config file's shape. Every field is optional in a file: files are validated one by one (so
 * errors point at a file and line) and then layered over the built-in defaults.
 *
 * Each capability owns one top-level section and validates it where it is used, through
 * `LoadedConfig.section(name, schema)`; register the section name in KNOWN_SECTIONS so a typo in
 * a top-level key is reported instead of silently ignored.
 */
import {z} from 'zod'
import {COURSES} from './course.js'

const port = z.number().int().min(1).max(65535)
const restartPolicy = z.enum(['no', 'always', 'unless-stopped', 'on-failure'])
/** A Docker object name: what the engine accepts for containers, networks and volumes. */
export const dockerName = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    'must start with a letter or digit and contain only letters, digits, "_", "." or "-"',
  )

const postgresService = z.strictObject({
  image: z.string().min(1).optional(),
  container: dockerName.optional(),
  /** DNS name of the server inside the stack's network (what pgAdmin and in-network ingest use). */
  alias: dockerName.optional(),
  port: port.optional(),
  db: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** A named volume (created and labelled by dezc)... */
  volume: dockerName.optional(),
  /** ...or a path on the engine's host (a NAS share). */
  bind: z.string().startsWith('/', 'must be an absolute path on the engine host').optional(),
  /** Run the container as this uid[:gid] (a NAS user, e.g. "1044:100", so files on the share are theirs). */
  runAs: z
    .string()
    .regex(/^\d+(:\d+)?$/, 'must be a numeric uid or uid:gid, e.g. "1044:100"')
    .optional(),
})

const pgadminService = z.strictObject({
  enabled: z.boolean().optional(),
  image: z.string().min(1).optional(),
  container: dockerName.optional(),
  alias: dockerName.optional(),
  port: port.optional(),
  email: z.string().email().optional(),
  password: z.string().min(1).optional(),
  volume: dockerName.optional(),
  bind: z.string().startsWith('/', 'must be an absolute path on the engine host').optional(),
  /** Run the container as this uid[:gid] (a NAS user, e.g. "1044:100", so files on the share are theirs). */
  runAs: z
    .string()
    .regex(/^\d+(:\d+)?$/, 'must be a numeric uid or uid:gid, e.g. "1044:100"')
    .optional(),
})

export const profileSchema = z.strictObject({
  description: z.string().optional(),
  /** Start from another profile (built-in or user) and override fields. */
  extends: z.string().optional(),
  docker: z
    .strictObject({
      /** unix:///..., tcp://host:port, ssh://user@host */
      host: z.string().optional(),
      /** A docker context name (from ~/.docker/contexts). */
      context: z.string().optional(),
    })
    .optional(),
  /** The engine is another machine: refuse to fall back to the local default socket. */
  remote: z.boolean().optional(),
  network: dockerName.optional(),
  /** Address the ports are published on: 127.0.0.1 (this machine only) or 0.0.0.0 (the LAN). */
  publish: z.string().optional(),
  /** Address people and tools use to reach published ports; default: the engine's host. */
  servicesHost: z.string().optional(),
  restart: restartPolicy.optional(),
  /** Seconds to wait for the services to become healthy. */
  waitTimeout: z.number().positive().optional(),
  postgres: postgresService.optional(),
  pgadmin: pgadminService.optional(),
})
export type ProfileInput = z.infer<typeof profileSchema>

/** Top-level sections; capabilities add their own here. */
export const KNOWN_SECTIONS = new Set([
  'course',
  'defaultProfile',
  'profiles',
  'ingest',
  'gcp',
  'tf',
  'spark',
  'wizard',
  'lake',
  'flow',
  'bq',
  'dbt',
])

export const fileSchema = z.looseObject({
  /** The course edition (config/course.ts); YAML reads `course: 2026` as a number. */
  course: z
    .union([z.enum(COURSES), z.number()])
    .refine((v) => COURSES.includes(String(v) as never), `must be one of ${COURSES.join(', ')}`)
    .optional(),
  defaultProfile: z.string().optional(),
  profiles: z
    .record(
      z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, 'profile names use letters, digits, "_" and "-"'),
      profileSchema.nullable(),
    )
    .optional(),
})
