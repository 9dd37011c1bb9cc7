import {DezcCommand} from '../../core/base-command.js'
import {stackFlags, stackOverrideFlags} from '../../core/flags.js'
import {composeFile} from '../../env/compose.js'
import {resolveStack} from '../../env/profiles.js'

export default class EnvCompose extends DezcCommand<typeof EnvCompose> {
  static summary = 'Print the docker-compose file equivalent to the current profile.'
  static description = 'For people who want to read or keep it. Generated secrets are referenced as environment variables, not printed.'
  static examples = ['<%= config.bin %> env compose > docker-compose.yaml', '<%= config.bin %> env compose --host synology']
  static enableJsonFlag = false
  static flags = {...stackFlags, ...stackOverrideFlags}

  async run(): Promise<void> {
    const f = this.flags
    const stack = resolveStack(await this.loadDezcConfig(), {
      profile: f.host, project: f.project, pgPort: f['pg-port'], pgadminPort: f['pgadmin-port'], noPgadmin: f['no-pgadmin'], waitTimeout: f['wait-timeout'],
    })
    process.stdout.write(composeFile(stack))
  }
}
