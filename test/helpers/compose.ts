/** Where scripts/ensure-compose-v2.sh put the real Docker Compose v2 (built from its Go module). */
import fs from 'node:fs'

export function composeV2Binary(): string {
  const file = process.env.DEZC_COMPOSE_V2 ?? '/usr/local/lib/dezc-test/compose-v2.40.3/docker-compose'
  if (!fs.existsSync(file))
    throw new Error(`Docker Compose v2 is not at ${file}: run scripts/ensure-compose-v2.sh (npm test does).`)
  return file
}
