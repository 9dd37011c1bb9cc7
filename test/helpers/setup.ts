// Every test file: a private HOME/XDG so no test reads or writes the developer's real config.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach} from 'vitest'

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dezc-test-home-'))
process.env.DEZC_CONFIG_DIR = path.join(home, 'config')
process.env.DEZC_CACHE_DIR = path.join(home, 'cache')
process.env.DEZC_DATA_DIR = path.join(home, 'data')
delete process.env.DEZC_CONFIG
delete process.env.DEZC_HOST
delete process.env.DEZC_STACK

afterEach(() => {
  // A failing command leaves process.exitCode set in the worker (oclif's Command.catch).
  process.exitCode = undefined
})
