import {Flags} from '@oclif/core'
import {DezcCommand} from '../../core/base-command.js'
import {stackFlags, stackOverrideFlags} from '../../core/flags.js'
import {stackFromFlags} from '../../env/command-support.js'

export default class EnvCompose extends DezcCommand<typeof EnvCompose> {
  static summary = 'Print (or write) the docker-compose file equivalent to the current profile.'
  static description = `The file runs with Debian/Ubuntu's docker-compose 1.29 and with every Docker Compose v2, and the stack it starts is one dezc env status recognises.
No password is printed: the file reads them from the environment or from a .env beside it. --out DIR writes docker-compose.yaml, pgAdmin's servers.json and that .env (mode 0600).`
  static examples = ['<%= config.bin %> env compose', '<%= config.bin %> env compose --out ./stack && cd stack && docker-compose -p dezc up -d', '<%= config.bin %> env compose --host synology --json']
  static flags = {
    ...stackFlags,
    ...stackOverrideFlags,
    out: Flags.string({description: 'Write docker-compose.yaml, servers.json and .env (0600) into this folder instead of printing the compose file.'}),
  }

  async run(): Promise<Record<string, unknown>> {
    const stack = stackFromFlags(await this.loadDezcConfig(), this.flags)
    const {composeFiles, dotEnv} = await import('../../env/compose.js')
    const files = composeFiles(stack)
    const result: Record<string, unknown> = {projectName: files.projectName, command: files.command, variables: Object.keys(files.secrets)}
    if (!this.flags.out) {
      if (!this.jsonEnabled()) process.stdout.write(files.compose)
      return {...result, compose: files.compose, serversJson: files.serversJson ?? null}
    }
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')])
    const dir = path.resolve(this.flags.out)
    await fs.mkdir(dir, {recursive: true})
    const written = [path.join(dir, 'docker-compose.yaml')]
    await fs.writeFile(written[0], files.compose)
    if (files.serversJson) {
      written.push(path.join(dir, 'servers.json'))
      await fs.writeFile(written[1], files.serversJson, {mode: 0o644})
    }
    const envFile = path.join(dir, '.env')
    if (Object.keys(files.secrets).length > 0) {
      // Re-created rather than rewritten, so an older .env with wider permissions does not keep them.
      await fs.rm(envFile, {force: true})
      await fs.writeFile(envFile, dotEnv(files.secrets), {mode: 0o600})
      written.push(envFile)
    }
    this.log(`Wrote ${written.join(', ')}.`)
    this.log(`Start it with: cd ${dir} && ${files.command}`)
    return {...result, dir, files: written}
  }
}
