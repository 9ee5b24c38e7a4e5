/**
 * Live progress pushed over Server-Sent Events, with polling as the fallback on its own.
 *
 * One EventSource per tab reads `GET /api/v1/progress/stream/?ticket=…` (a single-use ticket
 * from `POST /api/v1/progress/stream-ticket/`: EventSource cannot send the bearer token).
 * Each `job` / `video` event is exactly what that task's progress endpoint answers; it goes
 * into the same query cache entry and through the same poller, so a terminal event stops
 * the task and its detail is read once, as with polling.
 *
 * While the stream is live no progress is polled (polledQueryOptions asks `streamLive()`).
 * When it fails — an error, no catch-up (`sync`) within SYNC_TIMEOUT_MS (a proxy that
 * buffers the stream), or silence past SILENCE_MS (heartbeats are `ping` events) — the
 * polls that are still running resume at once, and the stream is tried again later,
 * resuming from the last event id it saw.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { api } from '@/lib/api-client'
import { jobQueryOptions } from './api/get-job'
import { videoQueryOptions } from './api/get-video'
import { isFinal } from './poller'
import { pushedProgress, readPoller, taskKeys } from './task-query'
import { streamLiveSet } from './stream-state'
import { trackedTasks } from './store'
import type { TaskKind } from './types'

export const STREAM_PATH = '/api/v1/progress/stream/'
export const SYNC_TIMEOUT_MS = 5_000
export const SILENCE_MS = 40_000
const RETRY_FIRST_MS = 5_000
const RETRY_CAP_MS = 60_000
const WATCH_MAX = 50

/** What is used of an EventSource (tests pass their own). */
export type EventSourceLike = {
  addEventListener(type: string, listener: (event: Event) => void): void
  close(): void
  onerror: ((event: Event) => void) | null
}
export type Deps = { open: (url: string) => EventSourceLike; ticket: () => Promise<{ ticket: string }> }

const defaultDeps: Deps = {
  open: (url) => new EventSource(url),
  ticket: () => api.post<{ ticket: string }>('/api/v1/progress/stream-ticket/', {}),
}

/** Start the tab's stream; return the function that stops it (logout, unmount). */
export function progressStreamStart(client: QueryClient, deps: Deps = defaultDeps): () => void {
  let source: EventSourceLike | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  let watchdog: ReturnType<typeof setTimeout> | undefined
  let lastEventId = ''
  let failures = 0
  let stopped = false

  const arm = (ms: number) => {
    clearTimeout(watchdog)
    watchdog = setTimeout(fail, ms)
  }

  function setLive(next: boolean) {
    if (streamLiveSet(next) && !next) resumePolling(client)
  }

  function fail() {
    clearTimeout(watchdog)
    source?.close()
    source = null
    setLive(false)
    if (stopped) return
    failures += 1
    timer = setTimeout(connect, Math.min(RETRY_FIRST_MS * 2 ** (failures - 1), RETRY_CAP_MS))
  }

  function onTask(kind: TaskKind) {
    return (event: Event) => {
      const message = event as MessageEvent<string>
      if (message.lastEventId) lastEventId = message.lastEventId
      arm(SILENCE_MS)
      let data: { status: string; id?: number | string; job_id?: string }
      try {
        data = JSON.parse(message.data)
      } catch {
        return
      }
      const id = String(kind === 'job' ? data.job_id : data.id)
      if (kind === 'job') pushedProgress(client, { kind, id }, data, jobQueryOptions(id))
      else pushedProgress(client, { kind, id }, data, videoQueryOptions(id))
      if (!trackedTasks.get().some((t) => t.kind === kind && t.id === id) && !isFinal(readPoller(client, { kind, id }))) {
        trackedTasks.add({ kind, id, startedAt: Date.now(), origin: 'active' })
      }
    }
  }

  async function connect() {
    if (stopped) return
    let ticket: string
    try {
      ticket = (await deps.ticket()).ticket
    } catch {
      fail()
      return
    }
    if (stopped) return
    const params = new URLSearchParams({ ticket })
    if (lastEventId) params.set('last_event_id', lastEventId)
    const watch = trackedTasks
      .get()
      .filter((t) => !isFinal(readPoller(client, t)))
      .slice(0, WATCH_MAX)
      .map((t) => `${t.kind}:${t.id}`)
    if (watch.length > 0) params.set('watch', watch.join(','))
    source = deps.open(`${STREAM_PATH}?${params}`)
    arm(SYNC_TIMEOUT_MS) // no catch-up in time: the stream is buffered or broken
    source.addEventListener('sync', (event) => {
      const message = event as MessageEvent<string>
      if (message.lastEventId) lastEventId = message.lastEventId
      failures = 0
      setLive(true)
      arm(SILENCE_MS)
    })
    source.addEventListener('ping', () => arm(SILENCE_MS))
    source.addEventListener('job', onTask('job'))
    source.addEventListener('video', onTask('video'))
    // EventSource would reconnect with the spent ticket: close it and start over ourselves.
    source.onerror = () => fail()
  }

  void connect()
  return () => {
    stopped = true
    clearTimeout(timer)
    clearTimeout(watchdog)
    source?.close()
    source = null
    setLive(false)
  }
}

/** Restart the polls the stream was standing in for (not those of tasks that ended). */
function resumePolling(client: QueryClient) {
  void client.refetchQueries({
    type: 'active',
    predicate: (query) => {
      const key = query.queryKey
      if (key[0] !== 'tasks') return false
      if (key[1] === 'active') return !isFinal(client.getQueryData(taskKeys.activePoller()) ?? { kind: 'polling' })
      if (key[3] !== 'progress') return false
      return !isFinal(readPoller(client, { kind: key[1] as TaskKind, id: String(key[2]) }))
    },
  })
}

/** Keep the tab's progress stream open while the signed-in shell is shown. */
export function useProgressStream(): void {
  const client = useQueryClient()
  useEffect(() => progressStreamStart(client), [client])
}
