/**
 * The interactive path of apply/destroy (a person answers the prompt), driven in-process with a
 * scripted prompter because a subprocess has no TTY. terraform is the STAND-IN script on PATH: the
 * test checks the saved-plan flow dezc asks for (plan -out, then apply of exactly that plan).
 */
import fs from 'node:fs'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {DezcError} from '../../../src/core/errors.js'
import type {ConfirmOptions} from '../../../src/core/ui.js'
import {PLAN_FILE, renderFiles, writeManagedFiles} from '../../../src/tf/files.js'
import {tfRun, type TfContext} from '../../../src/tf/service.js'
import {createStandinTerraform, pathWithout, type Standin} from '../../helpers/standin-terraform.js'
import {scriptedTfContext} from '../../helpers/tf-context.js'
import {makeTempDir} from '../../helpers/tmp.js'

let dir: string
let tf: Standin
let asked: ConfirmOptions[]

function ctxWith(answer: boolean | 'never'): TfContext {
  asked = []
  return scriptedTfContext(answer, asked, {
    env: {HOME: path.dirname(dir), PATH: pathWithout([tf.binDir])},
    cwd: path.dirname(dir),
  })
}

beforeEach(async () => {
  dir = path.join(makeTempDir('dezc-tf-confirm-'), 'terraform')
  const files = await renderFiles({
    project: 'my-proj-123',
    region: 'us-central1',
    location: 'US',
    bucket: 'my-proj-123-lake',
    dataset: 'trips_data_all',
    storageClass: 'STANDARD',
    credentials: {kind: 'adc', source: 'test'},
    sources: {},
  })
  await writeManagedFiles(dir, files, {force: false, dryRun: false})
  fs.mkdirSync(path.join(dir, '.terraform', 'providers'), {recursive: true})
  fs.writeFileSync(path.join(dir, '.terraform.lock.hcl'), '')
  tf = createStandinTerraform()
})

describe('apply/destroy after a "yes" at the prompt (stand-in terraform)', () => {
  it('apply: saves the plan, asks, applies exactly that plan file, then removes it', async () => {
    tf.setScenario({
      steps: {
        plan: {code: 2, stdout: 'Plan: 2 to add, 0 to change, 0 to destroy.\n'},
        output: {stdout: '{"bucket_name":{"sensitive":false,"value":"my-proj-123-lake"}}'},
      },
    })
    const r = await tfRun(ctxWith(true), 'apply', {yes: false, dryRun: false})
    expect(tf.runs().map((c) => c.argv)).toEqual([
      ['plan', '-no-color', '-input=false', '-detailed-exitcode', `-out=${PLAN_FILE}`],
      ['apply', '-no-color', '-input=false', PLAN_FILE],
      ['output', '-json'],
    ])
    expect(asked).toHaveLength(1)
    expect(asked[0].message).toBe('Apply these changes in project my-proj-123?')
    expect(asked[0].default).toBe(false)
    expect(r).toMatchObject({
      changed: true,
      plan: {add: 2, change: 0, destroy: 0},
      outputs: {bucket_name: 'my-proj-123-lake'},
    })
    expect(fs.existsSync(path.join(dir, PLAN_FILE))).toBe(false)
  })

  it('destroy: plans with -destroy and names the bucket and dataset in the question', async () => {
    tf.setScenario({steps: {plan: {code: 2, stdout: 'Plan: 0 to add, 0 to change, 2 to destroy.\n'}}})
    const r = await tfRun(ctxWith(true), 'destroy', {yes: false, dryRun: false})
    expect(tf.runs().map((c) => c.argv)).toEqual([
      ['plan', '-no-color', '-input=false', '-detailed-exitcode', '-destroy', `-out=${PLAN_FILE}`],
      ['apply', '-no-color', '-input=false', PLAN_FILE],
    ])
    expect(asked[0].message).toBe(
      'Destroy the bucket my-proj-123-lake (and everything in it) and the dataset trips_data_all in project my-proj-123?',
    )
    expect(r.plan).toEqual({add: 0, change: 0, destroy: 2})
  })

  it('"no" at the prompt: exit 3 (declined), nothing applied, plan file removed', async () => {
    tf.setScenario({steps: {plan: {code: 2}}})
    let err: unknown
    try {
      await tfRun(ctxWith(false), 'apply', {yes: false, dryRun: false})
    } catch (error) {
      err = error
    }
    expect(err).toBeInstanceOf(DezcError)
    expect((err as DezcError).exit).toBe(3)
    expect((err as DezcError).message).toMatch(/Not applied: declined/)
    expect(tf.runs().map((c) => c.argv[0])).toEqual(['plan'])
    expect(fs.existsSync(path.join(dir, PLAN_FILE))).toBe(false)
  })

  it('plan exit 0 (no changes): no question, nothing applied', async () => {
    const r = await tfRun(ctxWith('never'), 'apply', {yes: false, dryRun: false})
    expect(asked).toEqual([])
    expect(tf.runs().map((c) => c.argv[0])).toEqual(['plan', 'output'])
    expect(r.changed).toBe(false)
  })
})
