import { describe, expect, it } from 'vitest'
import { parseRoute } from './router'

describe('parseRoute', () => {
  it('maps hashes to pages', () => {
    expect(parseRoute('')).toEqual({ name: 'library' })
    expect(parseRoute('#/')).toEqual({ name: 'library' })
    expect(parseRoute('#/videos/')).toEqual({ name: 'library' })
    expect(parseRoute('#/upload')).toEqual({ name: 'upload' })
    expect(parseRoute('#/jobs')).toEqual({ name: 'history' })
    expect(parseRoute('#/students')).toEqual({ name: 'students' })
    expect(parseRoute('#/import/')).toEqual({ name: 'import' })
    expect(parseRoute('#/messages')).toEqual({ name: 'messages' })
    expect(parseRoute('#/ai')).toEqual({ name: 'ai' })
    expect(parseRoute('#/videos/12')).toEqual({ name: 'video', id: '12' })
    expect(parseRoute('#/videos/a%2Fb')).toEqual({ name: 'video', id: 'a/b' })
    expect(parseRoute('#/nope')).toEqual({ name: 'not-found', path: '/nope' })
  })
})
