import { describe, expect, it } from 'vitest'
import { parseRoute } from './router'

describe('parseRoute', () => {
  it('maps hashes to pages', () => {
    expect(parseRoute('')).toEqual({ name: 'upload' })
    expect(parseRoute('#/')).toEqual({ name: 'upload' })
    expect(parseRoute('#/import/')).toEqual({ name: 'import' })
    expect(parseRoute('#/messages')).toEqual({ name: 'messages' })
    expect(parseRoute('#/ai')).toEqual({ name: 'ai' })
    expect(parseRoute('#/videos/12')).toEqual({ name: 'video', id: '12' })
    expect(parseRoute('#/videos/a%2Fb')).toEqual({ name: 'video', id: 'a/b' })
    expect(parseRoute('#/nope')).toEqual({ name: 'not-found', path: '/nope' })
  })
})
