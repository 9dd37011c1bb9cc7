import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../env/flags.js'
import type {CredentialsResult} from '../../env/credentials.js'
import {stackFromFlags} from '../../env/settings.js'

export default class EnvCredentials extends DezcCommand<typeof EnvCredentials> {
  static summary = "Show the stack's database and pgAdmin credentials (including generated passwords)."
  static description = `Ports, database and user are read from the running stack; passwords from the file that stores them.
Passwords are printed for people only; with --json they are left out (the output says which file holds them).`
  static examples = [
    '<%= config.bin %> env credentials --host synology',
    '<%= config.bin %> env credentials --stack demo --json',
  ]
  static flags = {...stackFlags}

  async run(): Promise<CredentialsResult> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [{stackCredentials, credentialsResult}, {renderCredentials}] = await Promise.all([
      import('../../env/credentials.js'),
      import('../../env/render.js'),
    ])
    const c = await stackCredentials(config, stack)
    const {lines, url, after} = renderCredentials(stack, c)
    for (const line of lines) this.log(line)
    // The one place a password is shown on purpose (a person asked for it): around the masking of this.log.
    if (url && !this.jsonEnabled()) process.stdout.write(`          ${url}\n`)
    for (const line of after) this.log(line)
    return credentialsResult(c)
  }
}
