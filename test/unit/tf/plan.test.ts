import {describe, expect, it} from 'vitest'
import {installAction, planRun} from '../../../src/tf/plan.js'

const creds = {kind: 'key', path: '/k/sa.json', source: 'flag'} as const

describe('tf plans', () => {
  it('apply without --yes: saved plan, confirmation, apply of that plan, then outputs; init first when needed', () => {
    const p = planRun('apply', {dir: '/t', creds, yes: false, needsInit: true})
    expect(p.confirm).toBe(true)
    expect(p.commands.map((c) => c.argv.slice(1, 2)[0])).toEqual(['init', 'plan', 'apply', 'output'])
    expect(p.commands[0].shell).toBe('cd /t && GOOGLE_APPLICATION_CREDENTIALS=/k/sa.json terraform init -input=false')
  })
  it('destroy --yes is one -auto-approve run; plan never asks', () => {
    expect(planRun('destroy', {dir: '/t', creds, yes: true, needsInit: false}).main).toEqual([
      ['terraform', 'destroy', '-input=false', '-auto-approve'],
    ])
    expect(planRun('plan', {dir: '/t', creds, yes: false, needsInit: false}).confirm).toBe(false)
  })
  it('install: same version is unchanged unless --force', () => {
    expect(installAction('1.9.8', '1.9.8', false)).toBe('unchanged')
    expect(installAction('1.9.8', '1.9.8', true)).toBe('reinstalled')
    expect(installAction(undefined, '1.9.8', false)).toBe('installed')
  })
})
