import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {gpgFormat, sha512sumFormat} from '../../helpers/spark-archives.js'
import {
  compareVersions,
  expectedPy4j,
  hadoopVariant,
  parseReleaseFile,
  parseSha256File,
  parseSha512File,
  parseSparkIndex,
  parseSparkVersion,
  py4jVersionFromName,
  sparkArchiveUrl,
  sparkDistName,
  supportedJavaMajors,
} from '../../../src/spark/versions.js'
import {DezcError} from '../../../src/core/errors.js'

const data = Buffer.from('pretend this is spark-3.3.2-bin-hadoop3.tgz')
const archive = {
  name: 'spark-3.3.2-bin-hadoop3.tgz',
  data,
  sha512: createHash('sha512').update(data).digest('hex'),
  sha256: '',
}

describe('Spark checksum files', () => {
  it('reads the sha512sum format (Spark 3.4+)', () => {
    expect(parseSha512File(sha512sumFormat(archive), archive.name)).toBe(archive.sha512)
  })

  it('reads the GPG multi-line upper-case format Apache used for 3.3.x', () => {
    const text = gpgFormat(archive)
    expect(text.split('\n').length).toBeGreaterThan(2)
    expect(text).toMatch(/^spark-3\.3\.2-bin-hadoop3\.tgz: [0-9A-F]{8} /)
    expect(parseSha512File(text, archive.name)).toBe(archive.sha512)
  })

  it('reads the real 3.3.2 file shape with CRLF and wrapped groups', () => {
    const groups = archive.sha512.toUpperCase().match(/.{8}/g)!
    const text = `spark-3.3.2-bin-hadoop3.tgz: ${groups.slice(0, 4).join(' ')}\r\n                             ${groups.slice(4, 10).join(' ')}\r\n                             ${groups.slice(10).join(' ')}\r\n`
    expect(parseSha512File(text)).toBe(archive.sha512)
  })

  it('picks the line naming our file when a sums file lists several', () => {
    const other = 'a'.repeat(128)
    expect(
      parseSha512File(
        `${other}  spark-3.3.2-bin-hadoop2.tgz\n${archive.sha512}  spark-3.3.2-bin-hadoop3.tgz\n`,
        archive.name,
      ),
    ).toBe(archive.sha512)
  })

  it('rejects files without a SHA-512', () => {
    expect(parseSha512File('<html>404</html>')).toBeUndefined()
    expect(parseSha512File(`${'ab'.repeat(32)}  x.tgz`)).toBeUndefined()
  })

  it('reads a bare jdk.java.net .sha256', () => {
    const hex = createHash('sha256').update(data).digest('hex')
    expect(parseSha256File(hex)).toBe(hex)
    expect(parseSha256File('nothing')).toBeUndefined()
  })
})

describe('Spark versions', () => {
  it('parses and names archives like the Apache archive', () => {
    const v = parseSparkVersion('3.3.2')
    expect(sparkDistName(v)).toBe('spark-3.3.2-bin-hadoop3')
    expect(sparkArchiveUrl('https://archive.apache.org/dist/', v)).toBe(
      'https://archive.apache.org/dist/spark/spark-3.3.2/spark-3.3.2-bin-hadoop3.tgz',
    )
    expect(hadoopVariant(parseSparkVersion('3.2.4'))).toBe('hadoop3.2')
    expect(sparkDistName(parseSparkVersion('4.0.1'))).toBe('spark-4.0.1-bin-hadoop3')
  })

  it('rejects malformed and too-old versions with a usage error', () => {
    for (const bad of ['latest', '3.3', '3.3.2; rm -rf /', '2.4.8']) {
      const e = (() => {
        try {
          parseSparkVersion(bad)
        } catch (error) {
          return error
        }
      })()
      expect(e).toBeInstanceOf(DezcError)
      expect((e as DezcError).exit).toBe(2)
    }
  })

  it('knows which Java each Spark line runs on', () => {
    expect(supportedJavaMajors(parseSparkVersion('3.3.2'))).toEqual([8, 11, 17])
    expect(supportedJavaMajors(parseSparkVersion('3.1.3'))).toEqual([8, 11])
    expect(supportedJavaMajors(parseSparkVersion('4.0.0'))).toEqual([17, 21])
    expect(expectedPy4j(parseSparkVersion('3.3.2'))).toBe('0.10.9.5')
    expect(expectedPy4j(parseSparkVersion('3.5.1'))).toBe('0.10.9.7')
  })

  it('lists versions from an Apache directory index, newest first', () => {
    const html = `<html><body><h1>Index of /dist/spark</h1><pre>
<img src="/icons/back.gif" alt="[PARENTDIR]"> <a href="/dist/">Parent Directory</a>
<img src="/icons/folder.gif" alt="[DIR]"> <a href="spark-3.3.2/">spark-3.3.2/</a>  2023-02-17 20:45    -
<img src="/icons/folder.gif" alt="[DIR]"> <a href="spark-3.10.0/">spark-3.10.0/</a>  2023-02-17 20:45    -
<img src="/icons/folder.gif" alt="[DIR]"> <a href="spark-4.0.0-preview2/">spark-4.0.0-preview2/</a>
<img src="/icons/folder.gif" alt="[DIR]"> <a href="spark-4.0.0/">spark-4.0.0/</a>
<img src="/icons/folder.gif" alt="[DIR]"> <a href="spark-3.5.1/">spark-3.5.1/</a>
<img src="/icons/text.gif" alt="[TXT]"> <a href="KEYS">KEYS</a>
<img src="/icons/folder.gif" alt="[DIR]"> <a href="spark-connect-go/">spark-connect-go/</a>
</pre></body></html>`
    expect(parseSparkIndex(html)).toEqual(['4.0.0', '4.0.0-preview2', '3.10.0', '3.5.1', '3.3.2'])
    expect(compareVersions('3.10.0', '3.9.9')).toBeGreaterThan(0)
  })

  it('reads RELEASE files and py4j zip names', () => {
    expect(parseReleaseFile('Spark 3.3.2 built for Hadoop 3.3.2\nBuild flags: ...')).toBe('3.3.2')
    expect(py4jVersionFromName('py4j-0.10.9.5-src.zip')).toBe('0.10.9.5')
    expect(py4jVersionFromName('pyspark.zip')).toBeUndefined()
  })
})
