import {describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import {parseSums, pathHint, releasePlatform} from '../../../src/tf/install.js'
import {defaultBinDir} from '../../../src/tf/settings.js'
import {extractFile, listZip, ZipError} from '../../../src/tf/zip.js'
import {makeZip} from '../../helpers/zip-writer.js'

describe('release platform names', () => {
  it('maps Node platform/arch to HashiCorp release names', () => {
    expect(releasePlatform('linux', 'x64')).toEqual({os: 'linux', arch: 'amd64'})
    expect(releasePlatform('darwin', 'arm64')).toEqual({os: 'darwin', arch: 'arm64'})
    expect(releasePlatform('win32', 'ia32')).toEqual({os: 'windows', arch: '386'})
  })
  it('an unsupported OS/arch is a clear prerequisite error', () => {
    let e: unknown
    try {
      releasePlatform('aix', 'ppc64')
    } catch (error) {
      e = error
    }
    expect(e).toBeInstanceOf(DezcError)
    expect((e as DezcError).code).toBe('TF_PLATFORM_UNSUPPORTED')
    expect((e as DezcError).message).toMatch(/no release for aix\/ppc64/)
  })
})

describe('SHA256SUMS', () => {
  it('parses "<sha256>  <file>" lines and ignores the rest', () => {
    const a = 'a'.repeat(64)
    const b = 'B'.repeat(64)
    const sums = parseSums(
      `${a}  terraform_1.9.8_linux_amd64.zip\n${b} *terraform_1.9.8_darwin_arm64.zip\n\nnot a line\n`,
    )
    expect([...sums.entries()]).toEqual([
      ['terraform_1.9.8_linux_amd64.zip', a],
      ['terraform_1.9.8_darwin_arm64.zip', 'b'.repeat(64)],
    ])
  })
})

describe('zip reader', () => {
  const big = Buffer.from('terraform binary '.repeat(5000))
  it.each([
    ['deflated', {}, false],
    ['stored', {}, true],
    ['deflated with data descriptors (Go archive/zip style)', {dataDescriptor: true}, false],
  ])('extracts a %s entry and checks its CRC', async (_label, opts, store) => {
    const zip = await makeZip(
      [
        {name: 'LICENSE.txt', data: 'MPL'},
        {name: 'terraform', data: big, mode: 0o755, store},
      ],
      opts,
    )
    expect((await listZip(zip)).map((e) => [e.name, e.size, e.unixMode])).toEqual([
      ['LICENSE.txt', 3, 0o644],
      ['terraform', big.length, 0o755],
    ])
    expect((await extractFile(zip, 'terraform'))!.equals(big)).toBe(true)
    expect(await extractFile(zip, 'missing')).toBeUndefined()
  })
  it('rejects non-zips, truncation and corrupted data', async () => {
    await expect(listZip(Buffer.from('not a zip at all, just some text'))).rejects.toThrow(ZipError)
    const zip = await makeZip([{name: 'terraform', data: big, store: true}])
    await expect(listZip(zip.subarray(0, zip.length - 30))).rejects.toThrow(ZipError)
    const corrupt = Buffer.from(zip)
    corrupt[100] ^= 0xff
    await expect(extractFile(corrupt, 'terraform')).rejects.toThrow(/CRC-32 mismatch/)
  })
})

describe('PATH guidance', () => {
  it('defaults to ~/.local/bin and tells each shell how to add it', () => {
    expect(defaultBinDir({HOME: '/home/u'}, 'linux')).toBe('/home/u/.local/bin')
    expect(pathHint('/home/u/.local/bin', {HOME: '/home/u', SHELL: '/bin/zsh'})[0]).toBe(
      `echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.zshrc`,
    )
    expect(pathHint('/home/u/.local/bin', {HOME: '/home/u', SHELL: '/bin/bash'})[0]).toContain('~/.bashrc')
    expect(pathHint('/opt/bin', {HOME: '/home/u', SHELL: '/usr/bin/fish'})).toEqual(['fish_add_path /opt/bin'])
  })
})
