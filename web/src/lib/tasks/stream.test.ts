import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createQueryClient } from '@/lib/query-client'
import { trackedTasks } from './store'
import { progressStreamStart, SILENCE_MS, SYNC_TIMEOUT_MS } from './stream'
import { streamLive } from './stream-state'
import { readPoller, taskKeys } from './task-query'

/** An EventSource that the test drives: `emit` delivers a named event, `fail` an error. */
class FakeSource {
  static opened: FakeSource[] = []
  url: string
  closed = false
  onerror: ((e: Event) => void) | null = null
  private listeners = new Map<string, ((e: Event) => void)[]>()

  constructor(url: string) {
    this.url = url
    FakeSource.opened.push(this)
  }

  addEventListener(type: string, listener: (e: Event) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  close() {
    this.closed = true
  }

  emit(type: string, data: unknown, lastEventId = '') {
    const event = { data: JSON.stringify(data), lastEventId } as unknown as Event
    for (const listener of this.listeners.get(type) ?? []) listener(event)
  }

  fail() {
    this.onerror?.({} as Event)
  }
}

/** The n-th EventSource the stream opened. */
function opened(n: number): FakeSource {
  const source = FakeSource.opened[n]
  if (!source) throw new Error(`no EventSource #${n}`)
  return source
}

const deps = {
  open: (url: string) => new FakeSource(url),
  ticket: () => Promise.resolve({ ticket: `t${FakeSource.opened.length}` }),
}

describe('the progress stream', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    FakeSource.opened = []
    trackedTasks.clear()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('is live after its catch-up, and polling waits meanwhile', async () => {
    const client = createQueryClient()
    const stop = progressStreamStart(client, deps)
    await vi.runOnlyPendingTimersAsync()
    const source = opened(0)
    expect(source.url).toBe('/api/v1/progress/stream/?ticket=t0')
    expect(streamLive()).toBe(false)
    source.emit('sync', {}, '17-0')
    expect(streamLive()).toBe(true)
    stop()
    expect(streamLive()).toBe(false)
    expect(source.closed).toBe(true)
  })

  it('pushes task answers into the cache and finishes the task on a terminal one', async () => {
    const client = createQueryClient()
    const stop = progressStreamStart(client, deps)
    await vi.runOnlyPendingTimersAsync()
    const source = opened(0)
    source.emit('sync', {})
    source.emit('job', { job_id: 'j1', job_type: 'message_send', status: 'PROCESSING' }, '18-0')
    expect(client.getQueryData(taskKeys.progress({ kind: 'job', id: 'j1' }))).toMatchObject({ status: 'PROCESSING' })
    expect(trackedTasks.get().map((t) => [t.kind, t.id, t.origin])).toEqual([['job', 'j1', 'active']])
    source.emit('job', { job_id: 'j1', job_type: 'message_send', status: 'CANCELLED' }, '19-0')
    expect(readPoller(client, { kind: 'job', id: 'j1' })).toEqual({ kind: 'finished', status: 'CANCELLED' })
    source.emit('job', { job_id: 'j1', job_type: 'message_send', status: 'PROCESSING' }, '20-0')
    expect(client.getQueryData(taskKeys.progress({ kind: 'job', id: 'j1' }))).toMatchObject({ status: 'CANCELLED' })
    stop()
  })

  it('falls back to polling when the stream fails, and resumes from the last event id', async () => {
    const client = createQueryClient()
    const stop = progressStreamStart(client, deps)
    await vi.runOnlyPendingTimersAsync()
    opened(0).emit('sync', {}, '21-0')
    opened(0).fail()
    expect(streamLive()).toBe(false)
    expect(opened(0).closed).toBe(true)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(opened(1).url).toContain('last_event_id=21-0')
    stop()
  })

  it('gives up on a stream that never catches up (a buffering proxy) or goes silent', async () => {
    const client = createQueryClient()
    const stop = progressStreamStart(client, deps)
    await vi.runOnlyPendingTimersAsync()
    const buffered = opened(0)
    await vi.advanceTimersByTimeAsync(SYNC_TIMEOUT_MS)
    expect(buffered.closed).toBe(true)
    expect(streamLive()).toBe(false)
    await vi.advanceTimersByTimeAsync(5_000)
    const second = opened(1)
    second.emit('sync', {})
    expect(streamLive()).toBe(true)
    await vi.advanceTimersByTimeAsync(SILENCE_MS)
    expect(second.closed).toBe(true)
    expect(streamLive()).toBe(false)
    stop()
  })
})

describe('tracked tasks', () => {
  it('keep the origin of the form that started them, also when the stream reported them first', () => {
    trackedTasks.clear()
    trackedTasks.add({ kind: 'job', id: 'j9', startedAt: 1, origin: 'active' })
    trackedTasks.add({ kind: 'job', id: 'j9', startedAt: 2, origin: 'import', label: 'roster.xlsx' })
    trackedTasks.add({ kind: 'job', id: 'j9', startedAt: 3, origin: 'active' })
    expect(trackedTasks.get()).toEqual([{ kind: 'job', id: 'j9', startedAt: 2, origin: 'import', label: 'roster.xlsx' }])
  })
})
