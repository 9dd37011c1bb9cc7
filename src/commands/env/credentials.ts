import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'

export default class EnvCredentials extends DezcCommand<typeof EnvCredentials> {
  static summary = 'Show the stack\'s database and pgAdmin credentials (including generated passwords).'
  static description = 'Passwords are printed for people only; with --json they are left out (read them from the config file instead).'
  static examples = ['<%= config.bin %> env credentials --host synology']
  static flags = {...stackFlags}

  async run(): Promise<Record<string, unknown>> {
    const config = await this.loadDezcConfig()
    const stack = stackFromFlags(config, this.flags)
    const {stackEndpoint} = await import('../../env/engine.js')
    const {servicesHost} = await import('../../docker/endpoint.js')
    const {postgresUrl, redactUrl} = await import('../../env/profiles.js')
    const host = servicesHost(stackEndpoint(stack), stack.servicesHostOverride)
    const pg = stack.postgres
    const missing = (p?: string) => p ?? `(not generated yet: run dezc env up${stack.profile === 'local' ? '' : ` --host ${stack.profile}`})`
    this.log(`Postgres  ${host}:${pg.port}  database ${pg.db}  user ${pg.user}  password ${missing(pg.password)}`)
    if (pg.password) this.log(`          ${postgresUrl(stack, host)}`)
    if (stack.pgadmin.enabled) this.log(`pgAdmin   http://${host}:${stack.pgadmin.port}  email ${stack.pgadmin.email}  password ${missing(stack.pgadmin.password)}`)
    this.log(`Stored in: ${config.secretsFile}`)
    return {
      postgres: {host, port: pg.port, database: pg.db, user: pg.user, url: redactUrl(postgresUrl(stack, host)), passwordSet: Boolean(pg.password)},
      pgadmin: stack.pgadmin.enabled ? {url: `http://${host}:${stack.pgadmin.port}`, email: stack.pgadmin.email, passwordSet: Boolean(stack.pgadmin.password)} : null,
      secretsFile: config.secretsFile,
    }
  }
}
