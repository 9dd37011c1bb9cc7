/**
 * The docker-compose file equivalent to a stack, for people who want to read, keep or run it.
 *
 * Derived from the same container specs `env up` creates (image, environment, labels, ports,
 * mounts, healthchecks, aliases), so the two never drift, and written in the subset that both
 * Debian/Ubuntu's docker-compose 1.29 and every Compose v2 accept: no top-level `name:` (the
 * project name is passed with -p) and no inline `configs.content` (pgAdmin's servers.json is a
 * file beside the compose file). No password is ever printed: the file refers to environment
 * variables, which `--out` writes into a 0600 `.env` beside it (Compose reads it by itself).
 */
import {stringify} from 'yaml'
import {envUpCommand, stackArgs, type Stack} from './settings.js'
import {containerSpecs, LABEL, PGADMIN_SERVERS_JSON_PATH, pgadminServersJson, type ContainerSpec} from './spec.js'

/** Older Compose implementations cannot parse the file; `doctor` checks the installed one against this. */
export const MIN_COMPOSE_V1 = '1.27.0'

export interface ComposeFiles {
  /** docker-compose.yaml */
  compose: string
  /** servers.json for pgAdmin (absent without pgAdmin). */
  serversJson?: string
  /** The variables the compose file needs (passwords): written to .env (0600) by --out, never printed. */
  secrets: Record<string, string>
  /** The Compose project name to pass with -p. */
  projectName: string
  /** How to run it. */
  command: string
}

const SERVICE_KEYS: Record<ContainerSpec['service'], string> = {postgres: 'pgdatabase', pgadmin: 'pgadmin'}
const duration = (ns: number) => `${ns / 1e9}s`
const PASSWORD_VARS = new Set(['POSTGRES_PASSWORD', 'PGADMIN_DEFAULT_PASSWORD'])

export function composeFiles(stack: Stack): ComposeFiles {
  // Compose files run on whatever engine the user has: the healthcheck form every engine accepts (no start_interval).
  const specs = containerSpecs(stack, {apiVersion: '1.41'})
  const projectName = stack.name ?? 'dezc'
  const up = `dezc env credentials${stackArgs(stack)}`
  const secrets: Record<string, string> = {}
  const services: Record<string, unknown> = {}
  for (const spec of specs) {
    const b = spec.body
    const environment: Record<string, string> = {}
    for (const entry of b.Env as string[]) {
      const [key, ...rest] = entry.split('=')
      const value = rest.join('=')
      if (PASSWORD_VARS.has(key)) {
        if (value) secrets[key] = value
        environment[key] = `\${${key}:?set it in the environment or .env (see: ${up})}`
      } else environment[key] = value.replaceAll('$', '$$$$')
    }
    // dezc's labels without the config hash: `dezc env status` sees the stack as its own, and a later
    // `dezc env up` recreates the containers in its own form (volumes kept).
    const labels = Object.fromEntries(
      Object.entries(b.Labels as Record<string, string>).filter(([k]) => k !== LABEL.configHash),
    )
    const hc = b.Healthcheck
    const bindings = b.HostConfig.PortBindings as Record<string, Array<{HostIp: string; HostPort: string}>>
    const mounts = b.HostConfig.Mounts as Array<{Type: string; Source: string; Target: string}>
    const volumes = mounts.map((m) => `${m.Source}:${m.Target}`)
    if (spec.service === 'pgadmin') volumes.push(`./servers.json:${PGADMIN_SERVERS_JSON_PATH}:ro`)
    services[SERVICE_KEYS[spec.service]] = {
      image: spec.image,
      ...(b.User ? {user: b.User} : {}),
      container_name: spec.name,
      environment,
      labels,
      ports: Object.entries(bindings).map(
        ([cport, binds]) => `${binds[0].HostIp}:${binds[0].HostPort}:${cport.replace('/tcp', '')}`,
      ),
      volumes,
      healthcheck: {
        // Compose interpolates $VAR from the host's environment; $$ passes a literal $ to the container.
        test: (hc.Test as string[]).map((x) => x.replaceAll('$', '$$$$')),
        interval: duration(hc.Interval),
        timeout: duration(hc.Timeout),
        retries: hc.Retries,
        start_period: duration(hc.StartPeriod),
      },
      restart: stack.restart,
      ...(b.HostConfig.LogConfig ? {logging: {driver: 'json-file'}} : {}),
      networks: {[stack.network]: {aliases: b.NetworkingConfig.EndpointsConfig[stack.network].Aliases}},
    }
  }
  const volumes: Record<string, unknown> = {}
  for (const spec of specs) {
    for (const m of spec.body.HostConfig.Mounts as Array<{Type: string; Source: string}>) {
      if (m.Type === 'volume')
        volumes[m.Source] = {
          name: m.Source,
          labels: {
            [LABEL.managed]: 'true',
            [LABEL.stack]: stack.label,
            [LABEL.profile]: stack.profile,
            [LABEL.service]: spec.service,
          },
        }
    }
  }
  const doc: Record<string, unknown> = {
    // 3.8: the newest schema docker-compose 1.29 validates against; Compose v2 reads it too.
    version: '3.8',
    services,
    networks: {
      [stack.network]: {
        name: stack.network,
        labels: {[LABEL.managed]: 'true', [LABEL.stack]: stack.label, [LABEL.profile]: stack.profile},
      },
    },
    ...(Object.keys(volumes).length > 0 ? {volumes} : {}),
  }
  const command = `docker-compose -p ${projectName} up -d`
  const header = [
    `# Equivalent of \`${envUpCommand(stack)}\` (profile "${stack.profile}").`,
    `# Runs with docker-compose >= ${MIN_COMPOSE_V1} (Debian/Ubuntu's 1.29 included) and any Docker Compose v2:`,
    `#   ${command}      (or: docker compose -p ${projectName} up -d)`,
    `# Passwords come from the environment or from a .env file beside this one; pgAdmin reads ./servers.json.`,
    `# \`dezc env compose --out DIR\` writes all three (.env with mode 0600).`,
    '',
  ]
  return {
    compose: header.join('\n') + stringify(doc, {lineWidth: 0}),
    serversJson: stack.pgadmin.enabled ? pgadminServersJson(stack) + '\n' : undefined,
    secrets,
    projectName,
    command,
  }
}

/** `.env` for Compose: one VAR=value per line; single quotes (no interpolation) unless the value has one. */
export function dotEnv(secrets: Record<string, string>): string {
  const quote = (v: string) =>
    /^[A-Za-z0-9_@%+=:,./-]*$/.test(v) ? v : v.includes("'") ? `"${v.replace(/[\\"$]/g, (c) => `\\${c}`)}"` : `'${v}'`
  return (
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join('\n') + '\n'
  )
}

export interface ComposeResult {
  projectName: string
  command: string
  /** Names of the variables the file needs (their values only ever go to the 0600 .env). */
  variables: string[]
  /** Printed (no --out): the files' text. */
  compose?: string
  serversJson?: string | null
  /** Written (--out DIR): where. */
  dir?: string
  files?: string[]
}

/** `env compose`: the files as text, or written into `outDir` (docker-compose.yaml, servers.json, .env 0600). */
export async function envCompose(stack: Stack, outDir?: string): Promise<ComposeResult> {
  const files = composeFiles(stack)
  const result: ComposeResult = {
    projectName: files.projectName,
    command: files.command,
    variables: Object.keys(files.secrets),
  }
  if (!outDir) return {...result, compose: files.compose, serversJson: files.serversJson ?? null}
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')])
  const dir = path.resolve(outDir)
  await fs.mkdir(dir, {recursive: true})
  const written = [path.join(dir, 'docker-compose.yaml')]
  await fs.writeFile(written[0], files.compose)
  if (files.serversJson) {
    written.push(path.join(dir, 'servers.json'))
    await fs.writeFile(written[1], files.serversJson, {mode: 0o644})
  }
  const envFile = path.join(dir, '.env')
  if (Object.keys(files.secrets).length > 0) {
    // Re-created rather than rewritten, so an older .env with wider permissions does not keep them.
    await fs.rm(envFile, {force: true})
    await fs.writeFile(envFile, dotEnv(files.secrets), {mode: 0o600})
    written.push(envFile)
  }
  return {...result, dir, files: written}
}
