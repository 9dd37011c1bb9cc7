import {Args} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {lakeTargetFlags} from '../../lake/flags.js'
import type {LsResult} from '../../lake/service.js'

export default class LakeLs extends DezcCommand<typeof LakeLs> {
  static summary = 'List the objects in the bucket (name, size, updated) and the months each dataset has.'
  static examples = ['<%= config.bin %> lake ls', '<%= config.bin %> lake ls yellow --json']
  static args = {dataset: Args.string({description: 'Only this dataset (yellow, green, fhv, fhvhv)'})}
  static flags = {...lakeTargetFlags}

  async run(): Promise<LsResult> {
    const [{resolveLakeSettings}, {lakeLs}, {renderLs}] = await Promise.all([
      import('../../lake/settings.js'),
      import('../../lake/service.js'),
      import('../../lake/render.js'),
    ])
    const f = this.flags
    const settings = await resolveLakeSettings({
      flags: {bucket: f.bucket, apiRoot: f['api-root'], tfDir: f['tf-dir']},
      config: await this.loadDezcConfig(),
    })
    const result = await lakeLs({settings, dataset: this.args.dataset})
    for (const line of renderLs(result)) this.log(line)
    return result
  }
}
