import {DezcCommand} from '../../core/base-command.js'
import {stackFlags} from '../../env/flags.js'
import {stackFromFlags} from '../../env/settings.js'

export default class EnvPsql extends DezcCommand<typeof EnvPsql> {
  static summary = 'Run psql inside the Postgres container as the configured user and database.'
  static description = `Arguments after -- go to psql, e.g. \`dezc env psql -- -c "select count(*) from yellow_taxi_trips"\`.
With --json, psql runs without a terminal and its output is captured: {"exitCode", "stdout", "stderr"}.`
  static examples = ['<%= config.bin %> env psql', '<%= config.bin %> env psql -- -c "select 1"']
  static strict = false
  static flags = {...stackFlags}

  async run(): Promise<{exitCode: number; stdout: string; stderr: string} | undefined> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {envExec, envExecCapture} = await import('../../env/service.js')
    const extra = (
      this.argv.includes('--')
        ? this.argv.slice(this.argv.indexOf('--') + 1)
        : ((this.args as unknown as {argv?: string[]}).argv ?? [])
    ).filter((a) => a !== '--json')
    const pg = stack.postgres
    const cmd = ['psql', '-h', '127.0.0.1', '-U', pg.user, '-d', pg.db, ...extra]
    const env = [`PGPASSWORD=${pg.password ?? ''}`]
    if (this.jsonEnabled()) {
      const r = await envExecCapture(stack, 'postgres', ['psql', '-X', '--no-psqlrc', ...cmd.slice(1)], env)
      process.exitCode = r.exitCode
      return r
    }
    process.exitCode = await envExec(stack, 'postgres', cmd, env)
    return undefined
  }
}
