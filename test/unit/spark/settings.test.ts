import {describe, expect, it} from 'vitest'
import {resolveSparkSettings} from '../../../src/spark/settings.js'

describe('spark settings', () => {
  it('env vars count for callers without flags (the wizard): version, prefix, java, mirrors, rc file', () => {
    const env = {
      HOME: '/home/u',
      DEZC_SPARK_VERSION: '3.5.1',
      DEZC_SPARK_PREFIX: '/opt/sp',
      DEZC_SPARK_JAVA: 'auto',
      DEZC_SPARK_MIRROR: 'http://m/',
      DEZC_SPARK_JDK_MIRROR: 'http://j/',
      DEZC_SPARK_RC_FILE: '~/.zshrc',
    }
    expect(resolveSparkSettings({}, {version: '3.3.2', prefix: '/cfg', java: '11'}, env)).toEqual({
      version: '3.5.1',
      mirror: 'http://m/',
      jdkMirror: 'http://j/',
      prefix: '/opt/sp',
      rcFile: '/home/u/.zshrc',
      shell: undefined,
      java: 'auto',
    })
  })

  it('flag > env > config > default', () => {
    const env = {HOME: '/home/u', DEZC_SPARK_VERSION: '3.5.1'}
    expect(resolveSparkSettings({version: '3.4.0'}, {version: '3.3.1'}, env).version).toBe('3.4.0')
    expect(resolveSparkSettings({}, {version: '3.3.1'}, {HOME: '/home/u'}).version).toBe('3.3.1')
    expect(resolveSparkSettings({}, undefined, {HOME: '/home/u'})).toMatchObject({
      version: '3.3.2',
      java: '11',
      prefix: '/home/u/spark',
    })
  })

  it('the course edition picks the version, and the Java default follows it (flags still win)', () => {
    const env = {HOME: '/home/u'}
    expect(resolveSparkSettings({}, undefined, env, '2026')).toMatchObject({version: '4.0.1', java: 'auto'})
    expect(resolveSparkSettings({course: '2026'}, undefined, env)).toMatchObject({version: '4.0.1', java: 'auto'})
    expect(resolveSparkSettings({course: '2023'}, undefined, env, '2026')).toMatchObject({version: '3.3.2', java: '11'})
    expect(resolveSparkSettings({version: '4.0.1'}, undefined, env)).toMatchObject({version: '4.0.1', java: 'auto'})
    expect(resolveSparkSettings({version: '4.0.1', java: '21'}, undefined, env).java).toBe('21')
    expect(resolveSparkSettings({}, {version: '3.5.1'}, env, '2026').version).toBe('3.5.1')
  })
})
