#!/usr/bin/env node
// Development entry point: runs src/ through tsx (registered by oclif), no build needed.
const {execute} = await import('@oclif/core')
await execute({development: true, dir: import.meta.url})
