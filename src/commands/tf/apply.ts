import {TfRunCommand} from '../../tf/run-command.js'

export default class TfApply extends TfRunCommand {
  static summary = "Create the bucket and dataset (terraform apply), then show terraform's outputs."
  static description =
    'Shows the plan and asks before changing anything; --yes applies without asking (terraform apply -auto-approve). Without a TTY, --yes is required.'
  static examples = [
    '<%= config.bin %> tf apply',
    '<%= config.bin %> tf apply --dir infra --yes',
    '<%= config.bin %> tf apply --dry-run',
  ]
  protected readonly action = 'apply'
}
