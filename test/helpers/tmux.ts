/**
 * Drive the built CLI in a real terminal: a detached tmux session, keys sent with send-keys, the
 * screen read back with capture-pane. This is how a person sees the wizard (Inquirer prompts,
 * listr2 progress), not a mocked stdin.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {BIN} from './cli.js'

export class TmuxSession {
  readonly name: string
  private readonly exitFile: string

  private constructor(name: string, exitFile: string) {
    this.name = name
    this.exitFile = exitFile
  }

  /** Start `node bin/run.js ...args` in a 120x40 terminal; the exit code is written to a file when it ends. */
  static start(args: string[], options: {cwd: string; env: Record<string, string | undefined>}): TmuxSession {
    const name = `dezc-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
    const exitFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-tmux-')), 'exit')
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
    const envPrefix = Object.entries(options.env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${quote(v!)}`)
      .join(' ')
    // CI is unset inside: the wizard must see an interactive terminal, as a person would.
    const cmd = `cd ${quote(options.cwd)} && env -u CI ${envPrefix} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo $? > ${quote(exitFile)}; sleep 600`
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '40', cmd])
    return new TmuxSession(name, exitFile)
  }

  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name, '-S', '-2000'], {encoding: 'utf8'})
  }

  /** Keys as tmux names them: 'Enter', 'Down', 'C-c', or literal text with literal: true. */
  send(keys: string, literal = false): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...(literal ? ['-l'] : []), keys])
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (pattern.test(screen)) return screen
      if (Date.now() > deadline)
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${pattern} on screen:\n${screen}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  async exitCode(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs
    while (!fs.existsSync(this.exitFile) || fs.readFileSync(this.exitFile, 'utf8').trim() === '') {
      if (Date.now() > deadline)
        throw new Error(`The command did not exit within ${timeoutMs} ms; screen:\n${this.screen()}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    return Number(fs.readFileSync(this.exitFile, 'utf8').trim())
  }

  kill(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], {stdio: 'ignore'})
    } catch {
      // already gone
    }
  }
}
