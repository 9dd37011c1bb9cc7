// No write permission on the prefix or the rc file: real permission errors. Root ignores file
// modes, so as root the CLI runs as `nobody` (uid 65534); otherwise as the current user with chmod.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {runCli} from '../../helpers/cli.js'
import {runCliAsUser, useSparkFixtures} from '../../helpers/spark-fixtures.js'

const asRoot = process.getuid?.() === 0
const NOBODY = 65534

const t = useSparkFixtures()
let locked: string

beforeEach(async () => {
  // A directory the CLI's user cannot write: root-owned 0755 as root (CLI runs as nobody), 0555 otherwise.
  locked = await fs.mkdtemp(path.join(os.tmpdir(), 'dezc-spark-locked-'))
  await fs.writeFile(path.join(locked, '.bashrc'), '# not yours\n', {mode: 0o644})
  if (asRoot) {
    await fs.chmod(locked, 0o755)
    await chownR(t.h.home, NOBODY)
  } else {
    await fs.chmod(path.join(locked, '.bashrc'), 0o444)
    await fs.chmod(locked, 0o555)
  }
})
afterEach(async () => {
  await fs.chmod(locked, 0o755)
  await fs.rm(locked, {recursive: true, force: true})
})

async function chownR(p: string, uid: number): Promise<void> {
  await fs.lchown(p, uid, uid)
  const st = await fs.lstat(p)
  if (st.isDirectory()) for (const e of await fs.readdir(p)) await chownR(path.join(p, e), uid)
}

function install(args: string[]) {
  const env = {...t.h.env, DEZC_SPARK_JDK_MIRROR: t.m.jdkMirror}
  const argv = ['spark', 'install', '--mirror', t.m.mirror, '--yes', ...args]
  return asRoot ? runCliAsUser(argv, {uid: NOBODY, gid: NOBODY, env}) : runCli(argv, {env})
}

describe(`spark install without write permission (${asRoot ? 'as nobody' : 'chmod 0555'})`, () => {
  it('on the prefix: exit 4, PREFIX_NOT_WRITABLE with a fix, nothing downloaded or written', async () => {
    const rc = path.join(t.h.home, '.bashrc')
    const r = await install(['--prefix', path.join(locked, 'spark'), '--rc-file', rc])
    expect(r.code, r.stderr).toBe(4)
    expect(r.stderr).toContain(`Cannot install into ${path.join(locked, 'spark')}: no write permission on ${locked}`)
    expect(r.stderr).toContain('[PREFIX_NOT_WRITABLE]')
    expect(r.stderr).toContain('Try this: Pass a --prefix you own')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(t.m.server.requests).toEqual([])
    await expect(fs.access(rc)).rejects.toThrow()
  })

  it('on the rc file: exit 4, RC_NOT_WRITABLE, prefix untouched, nothing downloaded', async () => {
    const prefix = path.join(t.h.home, 'spark')
    const rc = path.join(locked, '.bashrc')
    const r = await install(['--prefix', prefix, '--rc-file', rc])
    expect(r.code, r.stderr).toBe(4)
    expect(r.stderr).toContain(`Cannot write the shell rc file ${rc} (EACCES)`)
    expect(r.stderr).toContain('[RC_NOT_WRITABLE]')
    expect(r.stderr).toContain('--rc-file')
    expect(t.m.server.requests).toEqual([])
    await expect(fs.access(prefix)).rejects.toThrow()
    expect(await fs.readFile(rc, 'utf8')).toBe('# not yours\n')
  })
})
