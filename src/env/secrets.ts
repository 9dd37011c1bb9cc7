/** Generated passwords for stacks published beyond loopback (never a well-known one on a LAN). */
import {randomBytes} from 'node:crypto'
import {setConfigValue} from '../config/load.js'
import type {Reporter} from '../core/ui.js'
import type {Stack} from './settings.js'

export function generatePassword(): string {
  // 144 bits, URL-safe: usable unquoted in URLs, shells and YAML.
  return randomBytes(18).toString('base64url')
}

/** Generate and store the passwords the stack lacks; returns the stack with them filled in. */
export async function ensureSecrets(stack: Stack, secretsFile: string, reporter: Reporter): Promise<Stack> {
  if (stack.missingSecrets.length === 0) return stack
  const next: Stack = {...stack, postgres: {...stack.postgres}, pgadmin: {...stack.pgadmin}, missingSecrets: []}
  for (const svc of stack.missingSecrets) {
    const password = generatePassword()
    await setConfigValue(secretsFile, ['profiles', stack.profile, svc, 'password'], password)
    next[svc].password = password
  }
  const hostFlag = stack.profile === 'local' ? '' : ` --host ${stack.profile}`
  reporter.warn(
    `Profile "${stack.profile}" publishes on ${stack.publish}, so dezc generated a password for ${stack.missingSecrets.join(' and ')} ` +
      `and stored it in ${secretsFile} (mode 0600). Show it with: dezc env credentials${hostFlag}`,
  )
  return next
}
