import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'

export default class EnvPsql extends DezcCommand<typeof EnvPsql> {
  static summary = 'Run psql inside the Postgres container as the configured user and database.'
  static description = 'Arguments after -- go to psql, e.g. `dezc env psql -- -c "select count(*) from yellow_taxi_trips"`.'
  static examples = ['<%= config.bin %> env psql', '<%= config.bin %> env psql -- -c "select 1"']
  static enableJsonFlag = false
  static strict = false
  static flags = {...stackFlags}

  async run(): Promise<void> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envExec} = await import('../../env/exec.js')
    const extra = this.argv.includes('--') ? this.argv.slice(this.argv.indexOf('--') + 1) : (this.args as unknown as {argv?: string[]}).argv ?? []
    const pg = stack.postgres
    process.exitCode = await envExec(stack, 'postgres', ['psql', '-h', '127.0.0.1', '-U', pg.user, '-d', pg.db, ...extra], [`PGPASSWORD=${pg.password ?? ''}`])
  }
}
