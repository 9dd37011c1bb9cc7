import {describe, expect, it} from 'vitest'
import {parseParams} from '../../../src/flow/run.js'

const schema = {
  properties: {
    dataset: {type: 'string'},
    months: {anyOf: [{type: 'array'}, {type: 'null'}]},
    retries: {type: 'integer'},
    retry_delay_seconds: {anyOf: [{type: 'array'}, {type: 'null'}]},
  },
}

describe('flow run --param: typed by the deployment schema', () => {
  it('splits lists on commas, repeats append, JSON and numbers are parsed', () => {
    expect(
      parseParams(
        ['dataset=green', 'months=2021-01,2021-02', 'months=2021-03', 'retries=1', 'retry_delay_seconds=[1,2]'],
        schema,
      ),
    ).toEqual({dataset: 'green', months: ['2021-01', '2021-02', '2021-03'], retries: 1, retry_delay_seconds: [1, 2]})
  })

  it('refuses a pair without =, an unknown name (listing the known ones), bad JSON', () => {
    expect(() => parseParams(['months'], schema)).toThrow(/not name=value/)
    expect(() => parseParams(['month=2021-01'], schema)).toThrow(/no parameter "month"/)
    expect(() => parseParams(['months=[2021'], schema)).toThrow(/not valid JSON/)
  })
})
