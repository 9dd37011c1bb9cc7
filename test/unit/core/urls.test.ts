import {describe, expect, it} from 'vitest'
import {redactSecrets, takeCredentials} from '../../../src/core/urls.js'

describe('credentials in URLs', () => {
  it('are masked wherever a URL appears in a text, and nothing else is touched', () => {
    expect(redactSecrets('GET http://user:secret@127.0.0.1:99/trip-data/ failed')).toBe(
      'GET http://user:***@127.0.0.1:99/trip-data/ failed',
    )
    expect(redactSecrets('https://TOKEN123@mirror.example/x')).toBe('https://***@mirror.example/x')
    expect(redactSecrets('postgresql://root:p%40ss@h:5432/db and postgresql://root:***@h/db')).toBe(
      'postgresql://root:***@h:5432/db and postgresql://root:***@h/db',
    )
    expect(redactSecrets('ssh://admin@nas.local and git@github.com:x/y')).toBe(
      'ssh://admin@nas.local and git@github.com:x/y',
    )
    // A match never runs across a JSON string boundary (the output stays valid JSON).
    const json = JSON.stringify({a: 'http://x', b: 'foo@bar', c: 'http://u:p"q@h/'})
    expect(() => JSON.parse(redactSecrets(json))).not.toThrow()
    expect(JSON.parse(redactSecrets(json)).b).toBe('foo@bar')
  })

  it('become a Basic Authorization header and leave a clean URL', () => {
    expect(takeCredentials('http://us%20er:se:cret@h:1/p?q')).toEqual({
      url: 'http://h:1/p?q',
      headers: {authorization: `Basic ${Buffer.from('us er:se:cret').toString('base64')}`},
    })
    expect(takeCredentials('https://h/p')).toEqual({url: 'https://h/p', headers: {}})
  })
})
