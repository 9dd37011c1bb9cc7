import {describe, expect, it} from 'vitest'
import {
  BLOCK_BEGIN,
  defaultRcFile,
  detectShell,
  findBlocks,
  readBlockValues,
  renderBlock,
  upsertBlock,
} from '../../../src/spark/rc.js'

const e332 = {
  javaHome: '/home/u/spark/jdk-11.0.2',
  sparkHome: '/home/u/spark/spark-3.3.2-bin-hadoop3',
  py4jZip: 'py4j-0.10.9.5-src.zip',
}
const e351 = {
  javaHome: '/home/u/spark/jdk-11.0.2',
  sparkHome: '/home/u/spark/spark-3.5.1-bin-hadoop3',
  py4jZip: 'py4j-0.10.9.7-src.zip',
}

describe('shell detection', () => {
  it('follows --rc-file names, then $SHELL, else bash (flagged as a guess)', () => {
    expect(detectShell({SHELL: '/bin/bash'}, '/h/.config/fish/config.fish')).toEqual({shell: 'fish', guessed: false})
    expect(detectShell({SHELL: '/bin/bash'}, '/h/.zshrc').shell).toBe('zsh')
    expect(detectShell({SHELL: '/usr/bin/zsh'})).toEqual({shell: 'zsh', guessed: false})
    expect(detectShell({SHELL: '/usr/local/bin/fish'}).shell).toBe('fish')
    expect(detectShell({SHELL: '/bin/tcsh'})).toEqual({shell: 'bash', guessed: true})
    expect(detectShell({})).toEqual({shell: 'bash', guessed: true})
  })

  it('picks the rc file each shell reads', () => {
    expect(defaultRcFile('bash', '/h', {})).toBe('/h/.bashrc')
    expect(defaultRcFile('zsh', '/h', {})).toBe('/h/.zshrc')
    expect(defaultRcFile('zsh', '/h', {ZDOTDIR: '/z'})).toBe('/z/.zshrc')
    expect(defaultRcFile('fish', '/h', {})).toBe('/h/.config/fish/config.fish')
    expect(defaultRcFile('fish', '/h', {XDG_CONFIG_HOME: '/x'})).toBe('/x/fish/config.fish')
  })
})

describe('the rc block', () => {
  it('exports the four variables in sh syntax, py4j from the distribution', () => {
    const b = renderBlock('bash', e332)
    expect(b).toContain('export JAVA_HOME="/home/u/spark/jdk-11.0.2"')
    expect(b).toContain('export SPARK_HOME="/home/u/spark/spark-3.3.2-bin-hadoop3"')
    expect(b).toContain('export PATH="$JAVA_HOME/bin:$SPARK_HOME/bin:$PATH"')
    expect(b).toContain('$SPARK_HOME/python/lib/py4j-0.10.9.5-src.zip')
    expect(b.startsWith(BLOCK_BEGIN)).toBe(true)
  })

  it('uses set -gx in fish', () => {
    const b = renderBlock('fish', e332)
    expect(b).toContain("set -gx JAVA_HOME '/home/u/spark/jdk-11.0.2'")
    expect(b).toContain('set -gx PATH $JAVA_HOME/bin $SPARK_HOME/bin $PATH')
    expect(b).not.toContain('export ')
  })

  it('quotes paths with shell metacharacters', () => {
    const b = renderBlock('bash', {...e332, sparkHome: '/home/u/my "spark" $dir'})
    expect(b).toContain('export SPARK_HOME="/home/u/my \\"spark\\" \\$dir"')
    expect(readBlockValues(b).sparkHome).toBe('/home/u/my "spark" $dir')
  })

  it('appends once, then replaces in place: idempotent', () => {
    const original = 'alias ll="ls -l"\nexport EDITOR=vim' // no trailing newline
    const once = upsertBlock(original, renderBlock('bash', e332))
    expect(once.startsWith('alias ll="ls -l"\nexport EDITOR=vim\n\n# >>> dezc spark >>>')).toBe(true)
    expect(upsertBlock(once, renderBlock('bash', e332))).toBe(once)
    const switched = upsertBlock(once + '\nexport AFTER=1\n', renderBlock('bash', e351))
    expect(findBlocks(switched)).toHaveLength(1)
    expect(readBlockValues(findBlocks(switched)[0].text)).toEqual({
      javaHome: e351.javaHome,
      sparkHome: e351.sparkHome,
      py4jZip: 'py4j-0.10.9.7-src.zip',
    })
    expect(switched).toContain('export AFTER=1\n')
    expect(switched.indexOf('EDITOR')).toBeLessThan(switched.indexOf(BLOCK_BEGIN))
  })

  it('collapses duplicate blocks into one', () => {
    const b = renderBlock('bash', e332)
    const doubled = `a\n${b}b\n${b}c\n`
    const fixed = upsertBlock(doubled, renderBlock('bash', e351))
    expect(findBlocks(fixed)).toHaveLength(1)
    expect(fixed).toMatch(/^a\n# >>> dezc spark >>>[\s\S]*# <<< dezc spark <<<\nb\nc\n$/)
  })

  it('writes the block alone into an empty file', () => {
    expect(upsertBlock('', renderBlock('zsh', e332))).toBe(renderBlock('zsh', e332))
  })
})
