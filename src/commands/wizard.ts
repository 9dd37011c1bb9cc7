import path from 'node:path'
import {DezcCommand} from '../core/base-command.js'
import {NonInteractiveError} from '../core/errors.js'
import {wizardFlags} from '../wizard/flags.js'
import type {WizardResult} from '../wizard/service.js'

export default class Wizard extends DezcCommand<typeof Wizard> {
  static summary = 'Walk through the course setup step by step: database stack, taxi data, GCP, terraform, Spark.'
  static description =
    'Each step can be skipped; answers are saved to dezc.yaml so the next run starts from them; the end prints the commands that repeat what was done. Ctrl-C exits with 130 and keeps finished steps.'
  static examples = ['<%= config.bin %> wizard', '<%= config.bin %> wizard --host synology']
  static flags = wizardFlags

  async run(): Promise<WizardResult | void> {
    if (this.flags.offer) {
      if (!this.ui.prompter.canPrompt) {
        await this.config.runCommand('help', [])
        this.log(
          '\nNew here? `dezc wizard` walks you through the setup in a terminal. Without one, run the steps directly:\n  dezc env up\n  dezc ingest yellow 2021-01\n  dezc doctor',
        )
        return
      }
      if (
        !(await this.ui.prompter.confirm({
          message: 'No command given. Set up the course environment with the wizard now?',
          default: true,
        }))
      ) {
        await this.config.runCommand('help', [])
        return
      }
    } else if (!this.ui.prompter.canPrompt) {
      throw new NonInteractiveError('The wizard asks questions', [
        'Run it in a terminal (not under CI, without --json), or run the steps directly:',
        'dezc env up [--host NAME] [--stack NAME]',
        'dezc ingest yellow 2021-01',
        'dezc flow init && dezc flow up',
        'dezc gcp bootstrap --project ID; dezc tf init && dezc tf apply; dezc spark install',
      ])
    }
    const config = await this.loadDezcConfig()
    const answersFile = this.flags.config ? path.resolve(this.flags.config) : path.resolve('dezc.yaml')
    const [{runWizard}, {renderSummary}, {WIZARD_STEPS}, {setConfigValue}] = await Promise.all([
      import('../wizard/service.js'),
      import('../wizard/render.js'),
      import('../wizard/steps/index.js'),
      import('../config/load.js'),
    ])
    const result = await runWizard({
      config,
      ui: this.ui,
      signal: this.signal,
      overrides: {
        profile: this.flags.host,
        course: this.flags.course,
        stack: this.flags.stack,
        dockerHost: this.flags['docker-host'],
        pgPort: this.flags['pg-port'],
        pgadminPort: this.flags['pgadmin-port'],
        noPgadmin: this.flags['no-pgadmin'],
      },
      gcpProject: this.flags.project,
      answersFile,
      steps: WIZARD_STEPS,
      save: (keyPath, value) => setConfigValue(answersFile, keyPath, value),
    })
    this.log(renderSummary(result))
    return result
  }
}
