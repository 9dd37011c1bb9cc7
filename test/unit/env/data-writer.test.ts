import {describe, expect, it} from 'vitest'
import {dataWriter} from '../../../src/env/spec.js'

describe('dataWriter: the uid a bind folder must be writable by', () => {
  it('pgAdmin 4.16 and later (and untagged/latest) run as 5050; 4.8 and 4.15 as root', () => {
    expect(dataWriter('pgadmin', 'dpage/pgadmin4:4.8', undefined)).toBeUndefined()
    expect(dataWriter('pgadmin', 'dpage/pgadmin4:4.15', undefined)).toBeUndefined()
    expect(dataWriter('pgadmin', 'dpage/pgadmin4:4.16', undefined)).toBe('5050:5050')
    expect(dataWriter('pgadmin', 'dpage/pgadmin4:4', undefined)).toBe('5050:5050')
    expect(dataWriter('pgadmin', 'dpage/pgadmin4:9', undefined)).toBe('5050:5050')
    expect(dataWriter('pgadmin', 'dpage/pgadmin4', undefined)).toBe('5050:5050')
    expect(dataWriter('pgadmin', 'registry.local:5000/dpage/pgadmin4', undefined)).toBe('5050:5050')
    expect(dataWriter('pgadmin', 'registry.local:5000/dpage/pgadmin4:4.8', undefined)).toBeUndefined()
  })
  it('runAs wins; Postgres chowns its own data', () => {
    expect(dataWriter('pgadmin', 'dpage/pgadmin4:4.8', '1044:100')).toBe('1044:100')
    expect(dataWriter('postgres', 'postgres:18', undefined)).toBeUndefined()
    expect(dataWriter('postgres', 'postgres:18', '1044:100')).toBe('1044:100')
  })
})
