import Module, {createRequire} from 'node:module'

/**
 * dockerode loads gRPC/protobuf for BuildKit sessions and docker-modem loads ssh2, eagerly: ~250 ms
 * of every command's start, for parts dezc rarely or never uses (our ssh transport is `ssh ...
 * docker system dial-stdio`). Pre-seed the CommonJS cache with stand-ins that load the real module
 * on first call, so those costs are paid only when the feature is used.
 */
let deferred = false
export function deferUnusedDockerodeParts(): void {
  if (deferred) return
  deferred = true
  const require = createRequire(import.meta.url)
  const cache = require.cache
  for (const id of ['dockerode/lib/session.js', 'docker-modem/lib/ssh.js']) {
    let file: string
    try {
      file = require.resolve(id)
    } catch {
      continue // another layout: load normally
    }
    if (cache[file]) continue
    const stub = new Module(file)
    stub.filename = file
    stub.loaded = true
    stub.exports = function loadOnFirstCall(this: unknown, ...args: unknown[]): unknown {
      delete cache[file]
      return (require(file) as (...a: unknown[]) => unknown).apply(this, args)
    }
    cache[file] = stub
  }
}
