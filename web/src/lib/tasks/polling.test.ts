import { QueryClient } from '@tanstack/react-query'
import { describe, expect, it } from 'vitest'
import { jobProgressQueryOptions } from './api/get-job-progress'
import { videoProgressQueryOptions } from './api/get-video-progress'
import { backoffMs, nextInterval, POLL_WHILE_HIDDEN, steadyPace } from './polling'
import { isTerminal } from './status'

const polling = { kind: 'polling' } as const

describe('nextInterval while polling', () => {
  it('asks every second during the first 10 s', () => {
    expect(nextInterval(0, polling)).toBe(1_000)
    expect(nextInterval(9_999, polling)).toBe(1_000)
  })

  it('asks every 2 s until the first minute is over', () => {
    expect(nextInterval(10_000, polling)).toBe(2_000)
    expect(nextInterval(59_999, polling)).toBe(2_000)
  })

  it('asks every 4 s after that, however long the task runs', () => {
    expect(nextInterval(60_000, polling)).toBe(4_000)
    expect(nextInterval(6 * 3600_000, polling)).toBe(4_000)
  })

  it('treats a clock behind the server (negative elapsed time) as a fresh task', () => {
    expect(nextInterval(-5_000, polling)).toBe(1_000)
  })

  it('asks at a steady pace when given one (the active-task list), with the same backoff and stop', () => {
    const every3s = steadyPace(3_000)
    expect(nextInterval(0, polling, every3s)).toBe(3_000)
    expect(nextInterval(3600_000, polling, every3s)).toBe(3_000)
    expect(nextInterval(0, { kind: 'backing-off', failures: 2 }, every3s)).toBe(4_000)
    expect(nextInterval(0, { kind: 'stopped', reason: 'unauthorized' }, every3s)).toBe(false)
  })
})

describe('nextInterval after failures', () => {
  it('backs off 2, 4, 8, 16 s, then stays at 30 s, whatever the task age', () => {
    const waits = [1, 2, 3, 4, 5, 6, 20].map((failures) => nextInterval(0, { kind: 'backing-off', failures }))
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000])
    expect(nextInterval(3600_000, { kind: 'backing-off', failures: 1 })).toBe(2_000)
    expect(backoffMs(1)).toBe(2_000)
  })
})

describe('nextInterval at the end', () => {
  it('stops at a terminal status', () => {
    for (const status of ['READY', 'DONE', 'FAILED']) {
      expect(isTerminal(status)).toBe(true)
      expect(nextInterval(0, { kind: 'finished', status })).toBe(false)
    }
    expect(isTerminal('PROCESSING')).toBe(false)
    expect(isTerminal('PENDING')).toBe(false)
  })

  it('stops when told to (401, 404)', () => {
    expect(nextInterval(0, { kind: 'stopped', reason: 'not-found' })).toBe(false)
    expect(nextInterval(0, { kind: 'stopped', reason: 'unauthorized' })).toBe(false)
  })
})

describe('polling while the document is hidden', () => {
  it('is off, said explicitly on every progress query', () => {
    expect(POLL_WHILE_HIDDEN).toBe(false)
    const client = new QueryClient()
    const task = { id: '1', startedAt: 0 }
    expect(videoProgressQueryOptions(client, { ...task, kind: 'video' }).refetchIntervalInBackground).toBe(false)
    expect(jobProgressQueryOptions(client, { ...task, kind: 'job' }).refetchIntervalInBackground).toBe(false)
  })
})
