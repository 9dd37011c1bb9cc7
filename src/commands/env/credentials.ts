import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'

export default class EnvCredentials extends DezcCommand<typeof EnvCredentials> {
  static summary = 'Show the stack\'s database and pgAdmin credentials (including generated passwords).'
  static description = `Ports, database and user are read from the running stack; passwords from the file that stores them.
Passwords are printed for people only; with --json they are left out (the output says which file holds them).`
  static examples = ['<%= config.bin %> env credentials --host synology', '<%= config.bin %> env credentials --stack demo --json']
  static flags = {...stackFlags}

  async run(): Promise<Record<string, unknown>> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const [{stackCredentials}, {envUpCommand, redactUrl}, {hostPort}] = await Promise.all([import('../../env/credentials.js'), import('../../env/profiles.js'), import('../../env/probe.js')])
    const c = await stackCredentials(config, stack)
    const pg = c.postgres
    const missing = (p?: string) => p ?? `(not generated yet: run ${envUpCommand(stack)})`
    if (c.note) this.log(c.note)
    this.log(`Postgres  ${hostPort(pg.host, pg.port)}  database ${pg.database}  user ${pg.user}  password ${missing(pg.password)}`)
    // The one place a password is shown on purpose (a person asked for it): around the masking of this.log.
    if (pg.url && !this.jsonEnabled()) process.stdout.write(`          ${pg.url}\n`)
    if (c.pgadmin) this.log(`pgAdmin   ${c.pgadmin.url}  email ${c.pgadmin.email}  password ${missing(c.pgadmin.password)}`)
    const origins = [...new Set([pg.passwordFrom, ...(c.pgadmin ? [c.pgadmin.passwordFrom] : [])])]
    this.log(`Passwords from: ${origins.join('; ')}`)
    return {
      source: c.source,
      ...(c.note ? {note: c.note} : {}),
      postgres: {host: pg.host, port: pg.port, database: pg.database, user: pg.user, url: pg.url && redactUrl(pg.url), passwordSet: pg.password !== undefined, passwordFrom: pg.passwordFrom},
      pgadmin: c.pgadmin ? {url: c.pgadmin.url, email: c.pgadmin.email, passwordSet: c.pgadmin.password !== undefined, passwordFrom: c.pgadmin.passwordFrom} : null,
    }
  }
}
