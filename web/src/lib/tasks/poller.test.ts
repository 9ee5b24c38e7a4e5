import { environmentManager, focusManager, QueryObserver, type QueryClient } from '@tanstack/react-query'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/lib/api-client'
import { createQueryClient } from '@/lib/query-client'
import { videoQueryOptions } from './api/get-video'
import { videoProgressQueryOptions } from './api/get-video-progress'
import { nextInterval } from './polling'
import { failureEvent, INITIAL_POLLER, transition, type PollerEvent, type PollerState } from './poller'
import { readPoller } from './task-query'

const progress = (status: string): PollerEvent => ({ type: 'progress', status })
const failure = (httpStatus: number | null): PollerEvent => ({ type: 'failure', httpStatus })
const run = (events: PollerEvent[], from: PollerState = INITIAL_POLLER) => events.reduce(transition, from)

describe('the poller state machine', () => {
  it('keeps polling while the task runs', () => {
    expect(run([progress('PENDING'), progress('PROCESSING')])).toBe(INITIAL_POLLER)
  })

  it('backs off on consecutive failures: 2, 4, 8, 16, 30, 30 s', () => {
    const waits: (number | false)[] = []
    let state = INITIAL_POLLER
    for (const status of [503, null, 500, 502, 503, null]) {
      state = transition(state, failure(status))
      waits.push(nextInterval(0, state))
    }
    expect(state).toEqual({ kind: 'backing-off', failures: 6 })
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000])
  })

  it('returns to the normal pace after one good answer', () => {
    expect(run([failure(503), failure(503), progress('PROCESSING')])).toEqual({ kind: 'polling' })
    expect(run([failure(503), failure(503), progress('PROCESSING'), failure(503)])).toEqual({
      kind: 'backing-off',
      failures: 1,
    })
  })

  it('stops on 404 and on 401, also in the middle of a backoff', () => {
    expect(run([failure(404)])).toEqual({ kind: 'stopped', reason: 'not-found' })
    expect(run([failure(503), failure(401)])).toEqual({ kind: 'stopped', reason: 'unauthorized' })
  })

  it('finishes at READY, DONE or FAILED', () => {
    expect(run([progress('PROCESSING'), progress('READY')])).toEqual({ kind: 'finished', status: 'READY' })
    expect(run([failure(503), progress('DONE')])).toEqual({ kind: 'finished', status: 'DONE' })
    expect(run([progress('FAILED')])).toEqual({ kind: 'finished', status: 'FAILED' })
  })

  it('ignores everything after the end', () => {
    const finished = run([progress('READY')])
    expect(run([progress('PROCESSING'), failure(503), failure(404), progress('FAILED')], finished)).toBe(finished)
    const stopped = run([failure(404)])
    expect(run([progress('PROCESSING'), progress('READY')], stopped)).toBe(stopped)
  })

  it('reads the HTTP status of a failed request; anything else is a network failure', () => {
    expect(failureEvent(new ApiError(503, null))).toEqual(failure(503))
    expect(failureEvent(new ApiError(null, null))).toEqual(failure(null))
    expect(failureEvent(new TypeError('boom'))).toEqual(failure(null))
  })
})

/**
 * The same machine driving real TanStack Query observers, with fake timers and a fake
 * `fetch` that answers from a script and records every request.
 */
describe('the poller inside TanStack Query', () => {
  type Answer = { status: number; body: unknown }
  let script: Record<string, Answer[]>
  let calls: { path: string; at: number }[]
  let client: QueryClient
  const cleanups: (() => void)[] = []

  const answers = (path: string, ...list: Answer[]) => {
    script[path] = list
  }
  const ok = (body: unknown): Answer => ({ status: 200, body })
  const video = (status: string, extra: object = {}) => ok({ id: 12, status, ...extra })
  const countOf = (path: string) => calls.filter((call) => call.path === path).length
  const gaps = (path: string) => {
    const times = calls.filter((call) => call.path === path).map((call) => call.at)
    return times.slice(1).map((at, i) => at - (times[i] as number))
  }

  const PROGRESS = '/media/videos/12/progress/'
  const DETAIL = '/media/videos/12/'
  const task = () => ({ kind: 'video' as const, id: '12', startedAt: Date.now() })

  function observe<O extends { subscribe: (listener: () => void) => () => void }>(observer: O): O {
    cleanups.push(observer.subscribe(() => {}))
    return observer
  }
  const observeProgress = (ref = task()) =>
    observe(new QueryObserver(client, videoProgressQueryOptions(client, ref)))
  const observeDetail = () => observe(new QueryObserver(client, videoQueryOptions('12')))

  // TanStack Query schedules no refetch timers on a server, and Node looks like one to it.
  beforeAll(() => environmentManager.setIsServer(() => false))
  afterAll(() => environmentManager.setIsServer(() => typeof window === 'undefined'))

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
    script = {}
    calls = []
    client = createQueryClient()
    client.mount() // as QueryClientProvider does: listen to focus and online events
    vi.stubGlobal('fetch', async (path: string) => {
      calls.push({ path, at: Date.now() })
      const queue = script[path]
      if (!queue || queue.length === 0) throw new Error(`unexpected request ${path}`)
      // The last answer repeats.
      const answer = (queue.length > 1 ? queue.shift() : queue[0]) as Answer
      const text = JSON.stringify(answer.body)
      return { ok: answer.status < 300, status: answer.status, text: async () => text }
    })
  })

  afterEach(() => {
    cleanups.splice(0).forEach((unsubscribe) => unsubscribe())
    client.clear()
    client.unmount()
    focusManager.setFocused(undefined)
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  it('polls at the normal pace, then fetches the detail once and stops at READY', async () => {
    answers(PROGRESS, video('PROCESSING'), video('PROCESSING'), video('READY', { hls_path: 'v/12/master.m3u8' }))
    answers(DETAIL, video('READY', { title: 'Lesson 1' }))
    const observer = observeProgress()

    await vi.advanceTimersByTimeAsync(2 * 60_000)

    expect(countOf(PROGRESS)).toBe(3)
    expect(gaps(PROGRESS)).toEqual([1_000, 1_000])
    expect(countOf(DETAIL)).toBe(1)
    expect(observer.getCurrentResult().data?.status).toBe('READY')
    expect(readPoller(client, task())).toEqual({ kind: 'finished', status: 'READY' })
    expect(client.getQueryData(videoQueryOptions('12').queryKey)).toMatchObject({ title: 'Lesson 1' })
  })

  it('sends nothing more for a finished task: not on focus, not for a new observer', async () => {
    answers(PROGRESS, video('READY'))
    answers(DETAIL, video('READY'))
    observeProgress()
    await vi.advanceTimersByTimeAsync(5_000)

    focusManager.setFocused(false)
    focusManager.setFocused(true)
    observeProgress()
    observeDetail()
    await vi.advanceTimersByTimeAsync(60_000)

    expect(countOf(PROGRESS)).toBe(1)
    expect(countOf(DETAIL)).toBe(1)
  })

  it('replaces a detail read while the task ran with exactly one read at the end', async () => {
    answers(PROGRESS, video('PROCESSING'), video('READY'))
    answers(DETAIL, video('PROCESSING', { title: 't' }), video('READY', { title: 't' }))
    const page = observeDetail()
    observeProgress()

    await vi.advanceTimersByTimeAsync(60_000)

    expect(countOf(DETAIL)).toBe(2)
    expect(page.getCurrentResult().data?.status).toBe('READY')
  })

  it('backs off 2, 4, 8 s after failures and resumes the normal pace, errors kept visible', async () => {
    const unavailable = { status: 503, body: { detail: 'Redis is restarting' } }
    answers(PROGRESS, unavailable, unavailable, unavailable, video('PROCESSING'))
    const observer = observeProgress()

    await vi.advanceTimersByTimeAsync(1)
    expect(observer.getCurrentResult().error).toMatchObject({ status: 503, detail: 'Redis is restarting' })
    expect(readPoller(client, task())).toEqual({ kind: 'backing-off', failures: 1 })

    await vi.advanceTimersByTimeAsync(20_000)
    // Failures at 0, 2, 6 s; success at 14 s; then every 2 s (the task is past 10 s).
    expect(gaps(PROGRESS).slice(0, 5)).toEqual([2_000, 4_000, 8_000, 2_000, 2_000])
    expect(readPoller(client, task())).toEqual({ kind: 'polling' })
    expect(observer.getCurrentResult().error).toBeNull()
  })

  it('stops for good on 404, and on 401, with the error kept for display', async () => {
    answers(PROGRESS, { status: 404, body: { detail: 'Not found.' } })
    const observer = observeProgress()
    await vi.advanceTimersByTimeAsync(5 * 60_000)

    expect(countOf(PROGRESS)).toBe(1)
    expect(readPoller(client, task())).toEqual({ kind: 'stopped', reason: 'not-found' })
    expect(observer.getCurrentResult().error).toMatchObject({ status: 404, detail: 'Not found.' })

    client.clear()
    calls = []
    answers(PROGRESS, { status: 401, body: { detail: 'Token expired.' } })
    observeProgress()
    await vi.advanceTimersByTimeAsync(5 * 60_000)
    expect(countOf(PROGRESS)).toBe(1)
    expect(readPoller(client, task())).toEqual({ kind: 'stopped', reason: 'unauthorized' })
    expect(countOf(DETAIL)).toBe(0)
  })

  it('sends nothing while the document is hidden and catches up when it is shown', async () => {
    answers(PROGRESS, video('PROCESSING'))
    observeProgress()
    await vi.advanceTimersByTimeAsync(1)
    expect(countOf(PROGRESS)).toBe(1)

    focusManager.setFocused(false)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(countOf(PROGRESS)).toBe(1)

    focusManager.setFocused(true)
    await vi.advanceTimersByTimeAsync(1)
    expect(countOf(PROGRESS)).toBe(2)
  })
})
