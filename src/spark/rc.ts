/**
 * The one marked block dezc keeps in the user's shell rc file: detect the shell, render the block
 * in its syntax (bash/zsh or fish), and insert or replace it idempotently.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import {DezcError, ExitCode, systemErrorCode} from '../core/errors.js'

export type Shell = 'bash' | 'zsh' | 'fish'

export const BLOCK_BEGIN = '# >>> dezc spark >>>'
export const BLOCK_END = '# <<< dezc spark <<<'

export interface RcEnv {
  javaHome: string
  sparkHome: string
  /** File name of the py4j zip in $SPARK_HOME/python/lib, e.g. py4j-0.10.9.5-src.zip. */
  py4jZip: string
}

/** Shell from --shell, the rc file's name, or $SHELL (bash when unknown). */
export function detectShell(env: NodeJS.ProcessEnv, rcFile?: string): {shell: Shell; guessed: boolean} {
  if (rcFile) {
    if (rcFile.endsWith('.fish')) return {shell: 'fish', guessed: false}
    if (/zsh/.test(path.basename(rcFile))) return {shell: 'zsh', guessed: false}
    if (/bash/.test(path.basename(rcFile))) return {shell: 'bash', guessed: false}
  }
  const sh = path.basename(env.SHELL ?? '')
  if (sh === 'zsh' || sh === 'fish' || sh === 'bash') return {shell: sh, guessed: false}
  return {shell: 'bash', guessed: true}
}

export function defaultRcFile(shell: Shell, home: string, env: NodeJS.ProcessEnv): string {
  if (shell === 'zsh') return path.join(env.ZDOTDIR || home, '.zshrc')
  if (shell === 'fish') return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'fish', 'config.fish')
  return path.join(home, '.bashrc')
}

function shQuote(s: string): string {
  return `"${s.replace(/(["\\$`])/g, '\\$1')}"`
}

function fishQuote(s: string): string {
  return `'${s.replace(/(['\\])/g, '\\$1')}'`
}

export function renderBlock(shell: Shell, e: RcEnv): string {
  const lines = [
    BLOCK_BEGIN,
    '# Written by `dezc spark install`; re-running it rewrites this block. Remove the block to undo.',
  ]
  if (shell === 'fish') {
    lines.push(
      `set -gx JAVA_HOME ${fishQuote(e.javaHome)}`,
      `set -gx SPARK_HOME ${fishQuote(e.sparkHome)}`,
      'set -gx PATH $JAVA_HOME/bin $SPARK_HOME/bin $PATH',
      `set -gx PYTHONPATH $SPARK_HOME/python $SPARK_HOME/python/lib/${e.py4jZip} $PYTHONPATH`,
    )
  } else {
    lines.push(
      `export JAVA_HOME=${shQuote(e.javaHome)}`,
      `export SPARK_HOME=${shQuote(e.sparkHome)}`,
      'export PATH="$JAVA_HOME/bin:$SPARK_HOME/bin:$PATH"',
      `export PYTHONPATH="$SPARK_HOME/python:$SPARK_HOME/python/lib/${e.py4jZip}\${PYTHONPATH:+:$PYTHONPATH}"`,
    )
  }
  lines.push(BLOCK_END)
  return lines.join('\n') + '\n'
}

/** The marked blocks found in a file's text (normally zero or one). */
export function findBlocks(text: string): Array<{start: number; end: number; text: string}> {
  const blocks: Array<{start: number; end: number; text: string}> = []
  let from = 0
  for (;;) {
    const start = text.indexOf(BLOCK_BEGIN, from)
    if (start < 0) break
    const endMarker = text.indexOf(BLOCK_END, start)
    if (endMarker < 0) break
    let end = endMarker + BLOCK_END.length
    if (text[end] === '\n') end++
    blocks.push({start, end, text: text.slice(start, end)})
    from = end
  }
  return blocks
}

/** The file's text with exactly one block, placed where the first one was (or appended). */
export function upsertBlock(text: string, block: string): string {
  const blocks = findBlocks(text)
  if (blocks.length === 0) {
    if (text.length === 0) return block
    return text + (text.endsWith('\n') ? '\n' : '\n\n') + block
  }
  let out = text.slice(0, blocks[0].start) + block
  let cursor = blocks[0].end
  for (const b of blocks.slice(1)) {
    out += text.slice(cursor, b.start)
    cursor = b.end
  }
  return out + text.slice(cursor)
}

/** Values exported by the block in a file (for doctor and for "already in place"). */
export function readBlockValues(blockText: string): {javaHome?: string; sparkHome?: string; py4jZip?: string} {
  const unq = (s: string) => s.replace(/^["']|["']$/g, '').replace(/\\(.)/g, '$1')
  const javaHome = /(?:export JAVA_HOME=|set -gx JAVA_HOME )(.+)/.exec(blockText)?.[1]
  const sparkHome = /(?:export SPARK_HOME=|set -gx SPARK_HOME )(.+)/.exec(blockText)?.[1]
  const py4jZip = /python\/lib\/(py4j-[^\s"':$]+\.zip)/.exec(blockText)?.[1]
  return {javaHome: javaHome && unq(javaHome.trim()), sparkHome: sparkHome && unq(sparkHome.trim()), py4jZip}
}

export async function readRc(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return ''
    throw rcNotWritable(file, error)
  }
}

/**
 * Write the rc file's new text. Writes through symlinks (dotfile managers link rc files), keeps the
 * file's mode, and replaces it atomically (temp file in the same directory, then rename).
 */
export async function writeRc(file: string, text: string): Promise<void> {
  let target = file
  let mode = 0o644
  try {
    target = await fs.realpath(file)
    mode = (await fs.stat(target)).mode & 0o7777
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw rcNotWritable(file, error)
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.dezc-${process.pid}.tmp`)
  try {
    await fs.mkdir(path.dirname(target), {recursive: true})
    await fs.writeFile(tmp, text, {mode})
    await fs.chmod(tmp, mode)
    await fs.rename(tmp, target)
  } catch (error) {
    await fs.rm(tmp, {force: true}).catch(() => {})
    throw rcNotWritable(file, error)
  }
}

/** Can we write this rc file? Checked before anything is downloaded. */
export async function checkRcWritable(file: string): Promise<void> {
  try {
    const st = await fs.stat(file)
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'})
    await fs.access(file, fs.constants.W_OK)
    // The atomic write also needs to create a temp file beside it.
    await fs.access(path.dirname(await fs.realpath(file)), fs.constants.W_OK)
    return
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw rcNotWritable(file, error)
  }
  // The file does not exist: its nearest existing ancestor must be writable.
  let dir = path.dirname(file)
  for (;;) {
    try {
      await fs.access(dir, fs.constants.W_OK)
      return
    } catch (error) {
      const code = systemErrorCode(error)
      if (code !== 'ENOENT' || path.dirname(dir) === dir) throw rcNotWritable(file, error)
      dir = path.dirname(dir)
    }
  }
}

export function rcNotWritable(file: string, cause: unknown): DezcError {
  const code = systemErrorCode(cause)
  return new DezcError({
    code: 'RC_NOT_WRITABLE',
    message: `Cannot write the shell rc file ${file}${code ? ` (${code})` : ''}.`,
    suggestion: [
      'Fix its permissions, or pass another file with --rc-file (then source it from your shell rc).',
      'Nothing was installed.',
    ],
    exit: ExitCode.PREREQUISITE,
    cause,
  })
}
