/** The env stack's flags: every command that acts on a stack (env, ingest, doctor, wizard) spreads these. */
import {Flags} from '@oclif/core'

/** Which env stack: host profile and --stack name (env, ingest, doctor). */
export const stackFlags = {
  host: Flags.string({
    description: 'Host profile to use (built in: local, synology; more in dezc.yaml).',
    env: 'DEZC_HOST',
    helpGroup: 'STACK',
  }),
  course: Flags.string({
    description:
      "Course edition whose defaults to use: 2023 (the notes: postgres:13, pgAdmin 4.8) or 2026 (today's course: postgres:18, pgAdmin 9 on 8085, db ny_taxi). Default: course: in dezc.yaml, else 2023.",
    env: 'DEZC_COURSE',
    options: ['2023', '2026'],
    helpGroup: 'STACK',
  }),
  stack: Flags.string({
    description:
      'Name of the stack: a namespace for everything dezc creates (containers, network, volumes), so stacks never collide.',
    env: 'DEZC_STACK',
    helpGroup: 'STACK',
  }),
  'docker-host': Flags.string({
    description: 'Docker endpoint (unix://, tcp://, ssh://); overrides the profile and DOCKER_HOST.',
    helpGroup: 'STACK',
  }),
}

export const stackOverrideFlags = {
  'pg-port': Flags.integer({
    description: "Publish Postgres on this host port instead of the profile's.",
    helpGroup: 'STACK',
  }),
  'pgadmin-port': Flags.integer({
    description: "Publish pgAdmin on this host port instead of the profile's.",
    helpGroup: 'STACK',
  }),
  'no-pgadmin': Flags.boolean({description: 'Do not run pgAdmin.', helpGroup: 'STACK'}),
  'wait-timeout': Flags.integer({
    description: 'Seconds to wait for the services to become healthy.',
    helpGroup: 'STACK',
  }),
}
