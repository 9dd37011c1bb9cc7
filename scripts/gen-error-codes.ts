// Writes the README's "Error codes" table from src/core/error-codes.ts (npm run docs:errors).
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {withErrorCodeTable} from '../src/core/error-codes.js'

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md')
fs.writeFileSync(readme, withErrorCodeTable(fs.readFileSync(readme, 'utf8')))
console.log('README.md: error-code table written')
