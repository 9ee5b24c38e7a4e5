import { environmentManager, QueryObserver } from '@tanstack/react-query'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { createQueryClient } from '@/lib/query-client'
import { videoQueryOptions } from './api/get-video'

beforeAll(() => environmentManager.setIsServer(() => false))
afterAll(() => {
  environmentManager.setIsServer(() => typeof window === 'undefined')
  vi.unstubAllGlobals()
})

it('keeps the one detail read of an ended task when its panel row remounts meanwhile', async () => {
  const calls: string[] = []
  vi.stubGlobal('fetch', async (path: string, init: { signal?: AbortSignal }) => {
    calls.push(path)
    await new Promise((resolve) => setTimeout(resolve, 50))
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    return { ok: true, status: 200, text: async () => JSON.stringify({ id: 1, status: 'READY', title: 't' }) }
  })
  const client = createQueryClient()
  client.mount()
  const options = videoQueryOptions('1')
  // The running row reads the cache only; the end starts the one read.
  const row = new QueryObserver(client, { ...options, enabled: false }).subscribe(() => {})
  const read = client.prefetchQuery(options)
  // The row moves to "Finished" (unmount, mount) while the read is in flight...
  row()
  new QueryObserver(client, { ...options, enabled: false }).subscribe(() => {})
  await read
  // ...and the video page opened afterwards finds the row in the cache.
  const page = new QueryObserver(client, options)
  page.subscribe(() => {})
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(calls).toEqual(['/media/videos/1/'])
  expect(page.getCurrentResult().data).toMatchObject({ title: 't' })
})
