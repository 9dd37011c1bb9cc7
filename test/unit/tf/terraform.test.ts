import {describe, expect, it} from 'vitest'
import {compareVersions, parseVersionOutput, stripAnsi} from '../../../src/tf/terraform.js'
import {parsePlanCounts, terraformEnv} from '../../../src/tf/service.js'
import {credentialsEnv} from '../../../src/tf/credentials.js'

describe('terraform version handling', () => {
  it('reads `terraform version -json` and the pre-0.13 text form', () => {
    expect(
      parseVersionOutput('{"terraform_version":"1.11.4","platform":"linux_amd64","provider_selections":{}}'),
    ).toEqual({version: '1.11.4', platform: 'linux_amd64'})
    expect(parseVersionOutput('Terraform v0.12.31\n\nYour version of Terraform is out of date!')).toEqual({
      version: '0.12.31',
    })
    expect(parseVersionOutput('garbage').version).toBeUndefined()
  })
  it('compares versions numerically', () => {
    expect(compareVersions('1.10.0', '1.9.8')).toBeGreaterThan(0)
    expect(compareVersions('0.12.31', '1.0.0')).toBeLessThan(0)
    expect(compareVersions('1.0.0', '1.0')).toBe(0)
    expect(compareVersions('1.6.0-beta1', '1.6.0')).toBe(0)
  })
})

describe('plan output', () => {
  it('reads the plan summary line, also through colour codes', () => {
    expect(parsePlanCounts(stripAnsi('\u001B[1mPlan:\u001B[0m 2 to add, 0 to change, 1 to destroy.'))).toEqual({
      add: 2,
      change: 0,
      destroy: 1,
    })
    expect(parsePlanCounts('No changes. Your infrastructure matches the configuration.')).toEqual({
      add: 0,
      change: 0,
      destroy: 0,
    })
    expect(parsePlanCounts('something else')).toBeUndefined()
  })
})

describe('the environment terraform runs with', () => {
  const base = {PATH: '/usr/bin', GOOGLE_APPLICATION_CREDENTIALS: '/old.json'}
  it('a key becomes GOOGLE_APPLICATION_CREDENTIALS; automation mode and no input prompts', () => {
    const env = terraformEnv({kind: 'key', path: '/k/key.json', source: 'x'}, base)
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      GOOGLE_APPLICATION_CREDENTIALS: '/k/key.json',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
    })
    expect(base.GOOGLE_APPLICATION_CREDENTIALS).toBe('/old.json')
  })
  it('ADC leaves the environment as it is', () => {
    expect(credentialsEnv({kind: 'adc', source: 'x'}, base)).toEqual(base)
    expect(terraformEnv({kind: 'adc', source: 'x'}, {PATH: '/usr/bin'})).not.toHaveProperty(
      'GOOGLE_APPLICATION_CREDENTIALS',
    )
  })
})
