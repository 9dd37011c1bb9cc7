/**
 * An in-process TfContext (src/tf/service.ts) whose prompter answers every confirmation the same
 * way and records the questions: the interactive apply/destroy path, which a subprocess without a
 * TTY cannot reach.
 */
import {PassThrough} from 'node:stream'
import type {ConfirmOptions, Prompter, Ui} from '../../src/core/ui.js'
import type {TfContext} from '../../src/tf/service.js'

/** `answer` 'never' fails on any question. The questions asked are pushed to `asked`. */
export function scriptedTfContext(
  answer: boolean | 'never',
  asked: ConfirmOptions[],
  o: {env: NodeJS.ProcessEnv; cwd: string},
): TfContext {
  const prompter: Prompter = {
    canPrompt: true,
    assumeYes: false,
    async confirm(q) {
      asked.push(q)
      if (answer === 'never') throw new Error('no prompt expected')
      return answer
    },
    input: async () => {
      throw new Error('no input expected')
    },
    select: async () => {
      throw new Error('no select expected')
    },
  }
  const ui: Ui = {
    reporter: {info() {}, warn() {}, debug() {}},
    warnings: [],
    prompter,
    renderer: 'silent',
    json: false,
    verbose: false,
  }
  return {
    ui,
    env: o.env,
    signal: new AbortController().signal,
    config: {},
    gcp: {},
    cwd: o.cwd,
    out: {stdout: new PassThrough().resume(), stderr: new PassThrough().resume()},
    noColor: true,
  }
}
