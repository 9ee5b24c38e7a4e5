import { environmentManager, QueryObserver, type QueryClient } from '@tanstack/react-query'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createQueryClient } from '@/lib/query-client'
import { activeTasksQueryOptions } from './get-active-tasks'

/** The active list inside TanStack Query, with fake timers and a scripted `fetch`. */
describe('the active-task list', () => {
  let statuses: number[]
  let calls: number[]
  let client: QueryClient
  let unsubscribe = () => {}

  beforeAll(() => environmentManager.setIsServer(() => false))
  afterAll(() => environmentManager.setIsServer(() => typeof window === 'undefined'))

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
    calls = []
    client = createQueryClient()
    client.mount()
    vi.stubGlobal('fetch', async () => {
      calls.push(Date.now())
      // The last answer repeats.
      const status = (statuses.length > 1 ? statuses.shift() : statuses[0]) as number
      const text = JSON.stringify(status === 200 ? { results: [] } : { detail: 'no' })
      return { ok: status < 300, status, text: async () => text }
    })
  })

  afterEach(() => {
    unsubscribe()
    client.clear()
    client.unmount()
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  const observe = () => {
    unsubscribe = new QueryObserver(client, activeTasksQueryOptions(client)).subscribe(() => {})
  }
  const gaps = () => calls.slice(1).map((at, i) => at - (calls[i] as number))

  it('asks every 3 s while answers are good', async () => {
    statuses = [200]
    observe()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(gaps()).toEqual([3_000, 3_000, 3_000])
  })

  it('backs off like a task poller after failures (2, 4 s), then resumes every 3 s', async () => {
    statuses = [503, 503, 200]
    observe()
    await vi.advanceTimersByTimeAsync(13_000)
    expect(gaps()).toEqual([2_000, 4_000, 3_000, 3_000])
  })

  it('stops for good on 401, also after a failure', async () => {
    statuses = [503, 401]
    observe()
    await vi.advanceTimersByTimeAsync(5 * 60_000)
    expect(calls).toHaveLength(2)
  })
})
