/** Glue between the tf commands and the services: the service context of a running command. */
import type {LoadedConfig} from '../config/load.js'
import type {Ui} from '../core/ui.js'
import {gcpConfigView} from './credentials.js'
import {tfConfigSchema} from './settings.js'
import type {TfContext} from './service.js'

export function buildTfContext(config: LoadedConfig, ui: Ui, signal: AbortSignal, json: boolean): TfContext {
  const env = process.env
  return {
    ui,
    env,
    signal,
    config: config.section('tf', tfConfigSchema) ?? {},
    gcp: gcpConfigView(config.raw('gcp')),
    cwd: process.cwd(),
    // Under --json stdout carries only the result: terraform's own output goes to stderr.
    out: {stdout: json ? process.stderr : process.stdout, stderr: process.stderr},
    noColor: json || Boolean(env.NO_COLOR) || !(json ? process.stderr.isTTY : process.stdout.isTTY),
  }
}
