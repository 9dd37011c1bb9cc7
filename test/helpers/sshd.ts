/** A real OpenSSH server on a loopback port with generated keys, for the ssh:// Docker transport. */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {freePort} from './docker.js'

export interface Sshd {
  port: number
  /** An ssh wrapper using the authorised key (pass as DEZC_SSH_COMMAND). */
  sshCommand: string
  /** The same with a key the server does not accept. */
  badSshCommand: string
  stop(): void
}

/** listen: the address sshd binds (default 127.0.0.1), e.g. the Docker bridge's gateway to play another machine. */
export async function startSshd(options: {listen?: string} = {}): Promise<Sshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-sshd-'))
  const key = (name: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, name)])
    return path.join(dir, name)
  }
  const hostKey = key('host_key')
  const clientKey = key('client_key')
  const badKey = key('bad_key')
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, 'authorized_keys'))
  const port = await freePort()
  const config = path.join(dir, 'sshd_config')
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${options.listen ?? '127.0.0.1'}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      '',
    ].join('\n'),
  )
  fs.mkdirSync('/run/sshd', {recursive: true})
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {stdio: ['ignore', 'ignore', 'pipe']})
  let log = ''
  child.stderr!.on('data', (d) => (log += d))
  const wrapper = (name: string, identity: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(
      file,
      `#!/bin/sh\nexec ssh -F /dev/null -i ${identity} -o IdentitiesOnly=yes -o UserKnownHostsFile=${path.join(dir, 'known_hosts')} -o StrictHostKeyChecking=accept-new "$@"\n`,
      {mode: 0o755},
    )
    return file
  }
  const deadline = Date.now() + 10_000
  while (!log.includes('Server listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sshd did not start: ${log}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    sshCommand: wrapper('ssh-ok', clientKey),
    badSshCommand: wrapper('ssh-bad', badKey),
    stop: () => child.kill(),
  }
}
