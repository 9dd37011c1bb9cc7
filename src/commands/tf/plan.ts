import {TfRunCommand} from '../../tf/run-command.js'

export default class TfPlan extends TfRunCommand {
  static summary = 'Show what terraform would change (terraform plan) in the tf directory.'
  static description =
    'Runs terraform init first when the directory was never initialised. Exit 0 whether or not changes are pending; --json says which (changed) with the counts.'
  static examples = [
    '<%= config.bin %> tf plan',
    '<%= config.bin %> tf plan --dir infra',
    '<%= config.bin %> tf plan --dry-run',
  ]
  protected readonly action = 'plan'
}
