import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {stackFlags, stackOverrideFlags} from '../../env/flags.js'
import type {ComposeResult} from '../../env/service.js'
import {stackFromFlags} from '../../env/settings.js'

export default class EnvCompose extends DezcCommand<typeof EnvCompose> {
  static summary = 'Print (or write) the docker-compose file equivalent to the current profile.'
  static description = `The file runs with Debian/Ubuntu's docker-compose 1.29 and with every Docker Compose v2, and the stack it starts is one dezc env status recognises.
No password is printed: the file reads them from the environment or from a .env beside it. --out DIR writes docker-compose.yaml, pgAdmin's servers.json and that .env (mode 0600).`
  static examples = [
    '<%= config.bin %> env compose',
    '<%= config.bin %> env compose --out ./stack && cd stack && docker-compose -p dezc up -d',
    '<%= config.bin %> env compose --host synology --json',
  ]
  static flags = {
    ...stackFlags,
    ...stackOverrideFlags,
    out: Flags.string({
      description:
        'Write docker-compose.yaml, servers.json and .env (0600) into this folder instead of printing the compose file.',
    }),
  }

  async run(): Promise<ComposeResult> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envCompose} = await import('../../env/service.js')
    const result = await envCompose(stack, this.flags.out)
    if (result.compose !== undefined && !this.jsonEnabled()) process.stdout.write(result.compose)
    if (result.files) {
      this.log(`Wrote ${result.files.join(', ')}.`)
      this.log(`Start it with: cd ${result.dir} && ${result.command}`)
    }
    return result
  }
}
