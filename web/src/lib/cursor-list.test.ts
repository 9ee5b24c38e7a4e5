import { describe, expect, it } from 'vitest'
import { nextPath, queryString } from './cursor-list'

describe('cursor lists', () => {
  it('sends only the filters that are set', () => {
    expect(queryString({ q: '김', grade: 3, deleted: '', status: null, x: undefined })).toBe('?q=%EA%B9%80&grade=3')
    expect(queryString({})).toBe('')
  })

  it('follows `next` on the same origin whatever host the server wrote', () => {
    expect(nextPath('http://testserver/api/v1/jobs/?cursor=abc&page_size=10')).toBe('/api/v1/jobs/?cursor=abc&page_size=10')
    expect(nextPath('/media/videos/?cursor=x')).toBe('/media/videos/?cursor=x')
  })
})
