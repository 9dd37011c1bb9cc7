/** The generated terraform, parsed with a real HCL parser (@cdktf/hcl2json), and the never-overwrite-edits rule. */
import {parse} from '@cdktf/hcl2json'
import fs from 'node:fs'
import path from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {
  GOOGLE_PROVIDER_VERSION,
  hclString,
  MARKER_FILE,
  readTfvarsString,
  renderFiles,
  writeManagedFiles,
  type GeneratedFile,
} from '../../../src/tf/files.js'
import type {TfSettings} from '../../../src/tf/settings.js'
import {makeTempDir} from '../../helpers/tmp.js'

const settings = (over: Partial<TfSettings> = {}): TfSettings => ({
  project: 'my-proj-123',
  region: 'europe-west6',
  location: 'EU',
  bucket: 'my-proj-123-lake',
  dataset: 'ny_taxi',
  storageClass: 'NEARLINE',
  credentials: {kind: 'key', path: '/home/me/.gc/key.json', source: 'test'},
  sources: {},
  ...over,
})

const byName = (files: GeneratedFile[], name: string) => files.find((f) => f.name === name)!.content

describe('generated HCL (parsed by @cdktf/hcl2json)', () => {
  it('main.tf: pinned google provider, bucket with force_destroy and the multipart lifecycle rule, dataset in the same location, outputs', async () => {
    const files = await renderFiles(settings())
    const main = (await parse('main.tf', byName(files, 'main.tf'))) as any
    expect(main.terraform[0].required_providers[0].google).toEqual({
      source: 'hashicorp/google',
      version: GOOGLE_PROVIDER_VERSION,
    })
    expect(GOOGLE_PROVIDER_VERSION).toMatch(/^\d+\.\d+\.\d+$/)
    expect(main.terraform[0].required_version).toBe('>= 1.0')
    expect(main.provider.google[0]).toMatchObject({project: '${var.project}', region: '${var.region}'})
    expect(main.provider.google[0].credentials).toContain('file(pathexpand(var.credentials))')

    const bucket = main.resource.google_storage_bucket.data_lake[0]
    expect(bucket).toMatchObject({
      name: '${var.gcs_bucket_name}',
      location: '${var.location}',
      storage_class: '${var.gcs_storage_class}',
      force_destroy: true,
      uniform_bucket_level_access: true,
    })
    expect(bucket.lifecycle_rule).toEqual([{condition: [{age: 1}], action: [{type: 'AbortIncompleteMultipartUpload'}]}])

    const dataset = main.resource.google_bigquery_dataset.dataset[0]
    expect(dataset.dataset_id).toBe('${var.bq_dataset_name}')
    // Bucket and dataset share one variable, so they can never drift apart.
    expect(dataset.location).toBe(bucket.location)

    expect(Object.keys(main.output).sort()).toEqual([
      'bucket_name',
      'bucket_url',
      'dataset_full_id',
      'dataset_id',
      'location',
    ])
    expect(main.output.bucket_name[0].value).toBe('${google_storage_bucket.data_lake.name}')
    expect(main.output.dataset_id[0].value).toBe('${google_bigquery_dataset.dataset.dataset_id}')
  })

  it('variables.tf declares every variable the tfvars sets, with dezc defaults and validations', async () => {
    const files = await renderFiles(settings())
    const vars = (await parse('variables.tf', byName(files, 'variables.tf'))) as any
    const tfvars = (await parse('terraform.tfvars', byName(files, 'terraform.tfvars'))) as Record<string, unknown>
    for (const k of Object.keys(tfvars)) expect(vars.variable, `variable ${k}`).toHaveProperty(k)
    expect(vars.variable.region[0].default).toBe('us-central1')
    expect(vars.variable.location[0].default).toBe('US')
    expect(vars.variable.bq_dataset_name[0].default).toBe('trips_data_all')
    expect(vars.variable.bq_delete_contents_on_destroy[0]).toMatchObject({type: '${bool}', default: false})
    expect(vars.variable.project[0]).not.toHaveProperty('default')
    expect(vars.variable.gcs_bucket_name[0].validation).toHaveLength(1)
    // no template placeholder left behind
    expect(byName(files, 'main.tf') + byName(files, 'variables.tf')).not.toMatch(/\{\{/)
  })

  it('terraform.tfvars holds exactly the resolved values', async () => {
    const tfvars = await parse('terraform.tfvars', byName(await renderFiles(settings()), 'terraform.tfvars'))
    expect(tfvars).toEqual({
      project: 'my-proj-123',
      region: 'europe-west6',
      location: 'EU',
      gcs_bucket_name: 'my-proj-123-lake',
      gcs_storage_class: 'NEARLINE',
      bq_dataset_name: 'ny_taxi',
      credentials: '/home/me/.gc/key.json',
    })
  })

  it('ADC leaves credentials empty; odd characters in a path survive HCL quoting', async () => {
    const adc = await parse(
      'a.tfvars',
      byName(await renderFiles(settings({credentials: {kind: 'adc', source: 'x'}})), 'terraform.tfvars'),
    )
    expect(adc.credentials).toBe('')
    const weird = '/tmp/we"ird ${x}\\key.json'
    const parsed = await parse('b.tfvars', `credentials = ${hclString(weird)}\n`)
    expect(parsed.credentials).toBe(weird)
    // HCL's other template escape: %{ is written %%{ (terraform console reads "%%{y}" back as "%{y}";
    // hcl2json leaves that escape undecoded, so it is checked on the text here).
    expect(hclString('a%{y}')).toBe('"a%%{y}"')
    expect(readTfvarsString(`credentials = ${hclString(weird + '%{y}')}\n`, 'credentials')).toBe(weird + '%{y}')
  })

  it('.gitignore keeps state, plans and key files out of git', async () => {
    const gi = byName(await renderFiles(settings()), '.gitignore').split('\n')
    expect(gi).toEqual(
      expect.arrayContaining(['.terraform/', '*.tfstate', '*.tfstate.*', '*.tfplan', '*.json', `!${MARKER_FILE}`]),
    )
  })
})

describe('writeManagedFiles: edited files are never overwritten without --force', () => {
  let dir: string
  beforeEach(() => {
    dir = path.join(makeTempDir('dezc-tf-files-'), 'terraform')
  })
  const v1: GeneratedFile[] = [
    {name: 'main.tf', content: 'a = 1\n'},
    {name: 'terraform.tfvars', content: 'x = "1"\n'},
  ]
  const v2: GeneratedFile[] = [
    {name: 'main.tf', content: 'a = 2\n'},
    {name: 'terraform.tfvars', content: 'x = "2"\n'},
  ]

  it('creates, then reports unchanged, then updates files dezc wrote', async () => {
    expect((await writeManagedFiles(dir, v1, {force: false, dryRun: false})).map((r) => r.action)).toEqual([
      'create',
      'create',
    ])
    expect((await writeManagedFiles(dir, v1, {force: false, dryRun: false})).map((r) => r.action)).toEqual([
      'unchanged',
      'unchanged',
    ])
    expect((await writeManagedFiles(dir, v2, {force: false, dryRun: false})).map((r) => r.action)).toEqual([
      'update',
      'update',
    ])
    expect(fs.readFileSync(path.join(dir, 'main.tf'), 'utf8')).toBe('a = 2\n')
  })

  it('keeps a file the user edited, and overwrites it with --force after a .bak copy', async () => {
    await writeManagedFiles(dir, v1, {force: false, dryRun: false})
    fs.writeFileSync(path.join(dir, 'terraform.tfvars'), 'x = "mine"\n')
    const kept = await writeManagedFiles(dir, v2, {force: false, dryRun: false})
    expect(kept.map((r) => r.action)).toEqual(['update', 'keep-edited'])
    expect(fs.readFileSync(path.join(dir, 'terraform.tfvars'), 'utf8')).toBe('x = "mine"\n')
    // still the user's on the next run too
    expect((await writeManagedFiles(dir, v2, {force: false, dryRun: false}))[1].action).toBe('keep-edited')
    const forced = await writeManagedFiles(dir, v2, {force: true, dryRun: false})
    expect(forced[1]).toMatchObject({action: 'overwrite-edited', backup: path.join(dir, 'terraform.tfvars.bak')})
    expect(fs.readFileSync(path.join(dir, 'terraform.tfvars'), 'utf8')).toBe('x = "2"\n')
    expect(fs.readFileSync(path.join(dir, 'terraform.tfvars.bak'), 'utf8')).toBe('x = "mine"\n')
  })

  it("treats a pre-existing file dezc never wrote as the user's", async () => {
    fs.mkdirSync(dir, {recursive: true})
    fs.writeFileSync(path.join(dir, 'main.tf'), '# hand written\n')
    expect((await writeManagedFiles(dir, v1, {force: false, dryRun: false}))[0].action).toBe('keep-edited')
    expect(fs.readFileSync(path.join(dir, 'main.tf'), 'utf8')).toBe('# hand written\n')
  })

  it('a dry run decides but writes nothing', async () => {
    expect((await writeManagedFiles(dir, v1, {force: false, dryRun: true})).map((r) => r.action)).toEqual([
      'create',
      'create',
    ])
    expect(fs.existsSync(dir)).toBe(false)
  })
})
