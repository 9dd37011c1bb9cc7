/**
 * Environment variables that exist only so the tests can run dezc's real code paths quickly or as
 * if on another machine. Not for users (not in --help); every one is listed and read here.
 */
export const TEST_KNOBS = {
  DEZC_PLATFORM:
    'os-arch in Node names (darwin-arm64, win32-x64): act as if running there (spark install layout, --in-network platform check)',
  DEZC_SSH_COMMAND:
    'the program run instead of ssh for ssh:// Docker endpoints (the tests pass their own key and known_hosts)',
  DEZC_GCP_TIME_SCALE:
    'factor applied to every GCP retry and poll delay (0.01 turns minutes into seconds against the loopback fake)',
  DEZC_RETRY_BASE_MS: 'first backoff delay of network retries: downloads (default 500 ms) and lake uploads (1 s)',
} as const

export type TestKnob = keyof typeof TEST_KNOBS

/** DEZC_PLATFORM, when set and well-formed: the OS and CPU to act as (Node's names). */
export function platformOverride(env: NodeJS.ProcessEnv = process.env): {os: string; arch: string} | undefined {
  const v = env.DEZC_PLATFORM
  if (!v || !/^[a-z0-9]+-[a-z0-9]+$/.test(v)) return undefined
  const [os, arch] = v.split('-')
  return {os, arch}
}

export function sshCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.DEZC_SSH_COMMAND || 'ssh'
}

export function gcpTimeScale(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.DEZC_GCP_TIME_SCALE)
  return Number.isFinite(v) && v > 0 ? v : 1
}

export function retryBaseMs(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.DEZC_RETRY_BASE_MS) || fallback
}
