import {TfRunCommand} from '../../tf/run-command.js'

export default class TfDestroy extends TfRunCommand {
  static summary = 'Delete the bucket (with its objects) and the dataset (terraform destroy).'
  static description =
    'Shows what would be deleted and asks first; --yes destroys without asking (terraform destroy -auto-approve). Without a TTY, --yes is required. A dataset that still has tables is not deleted unless bq_delete_contents_on_destroy = true.'
  static examples = [
    '<%= config.bin %> tf destroy',
    '<%= config.bin %> tf destroy --dir infra --yes',
    '<%= config.bin %> tf destroy --dry-run',
  ]
  protected readonly action = 'destroy'
}
