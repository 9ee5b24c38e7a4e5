/**
 * Glue between the pure poller (poller.ts, polling.ts) and TanStack Query.
 *
 * Each task has three cache entries, keyed only here:
 *   progress  the progress endpoint's answer, refetched on the poller's schedule;
 *   poller    the poller's state, shared by every component that shows the task;
 *   detail    the detail endpoint's answer, fetched once when the task ends.
 */
import {
  queryOptions,
  skipToken,
  useQuery,
  type FetchQueryOptions,
  type QueryClient,
  type QueryKey,
} from '@tanstack/react-query'
import { nextInterval, POLL_WHILE_HIDDEN, type Pace } from './polling'
import { failureEvent, INITIAL_POLLER, isFinal, transition, type PollerEvent, type PollerState } from './poller'
import { streamLive } from './stream-state'
import type { TaskKind, TaskRef } from './types'

type TaskId = { kind: TaskKind; id: string }

export const taskKeys = {
  active: () => ['tasks', 'active'] as const,
  activePoller: () => ['tasks', 'active-poller'] as const,
  progress: ({ kind, id }: TaskId) => ['tasks', kind, id, 'progress'] as const,
  poller: ({ kind, id }: TaskId) => ['tasks', kind, id, 'poller'] as const,
  detail: ({ kind, id }: TaskId) => ['tasks', kind, id, 'detail'] as const,
}

/**
 * The poller's state lives in the QueryClient beside the progress it drives, so the tasks
 * panel and the video page see one machine per task. Never collected: a finished poller
 * forgotten would start polling its task again.
 */
export function pollerQueryOptions(task: TaskId) {
  return queryOptions({ ...pollerCacheEntry(taskKeys.poller(task)), queryFn: skipToken, staleTime: Infinity })
}

function pollerCacheEntry(queryKey: QueryKey) {
  return { queryKey, initialData: INITIAL_POLLER as PollerState, gcTime: Infinity }
}

function readPollerAt(client: QueryClient, pollerKey: QueryKey): PollerState {
  // build() returns the entry, creating it with gcTime Infinity if no component did yet.
  const query = client.getQueryCache().build<PollerState>(client, pollerCacheEntry(pollerKey))
  return query.state.data ?? INITIAL_POLLER
}

export function readPoller(client: QueryClient, task: TaskId): PollerState {
  return readPollerAt(client, taskKeys.poller(task))
}

function advancePoller(client: QueryClient, pollerKey: QueryKey, event: PollerEvent) {
  const prev = readPollerAt(client, pollerKey)
  const next = transition(prev, event)
  if (next !== prev) client.setQueryData(pollerKey, next)
  return { prev, next }
}

type PolledEndpoint<TData> = {
  /** Where this query's poller state lives. */
  pollerKey: QueryKey
  fetch: (signal: AbortSignal) => Promise<TData>
  /** The poller event a good answer makes. */
  eventOf: (data: TData) => PollerEvent
  /** Called after each good answer with the poller's state before and after it. */
  onAnswer?: (prev: PollerState, next: PollerState) => void
  /** Milliseconds since the polled thing started, for the pace. */
  elapsedMs: () => number
  pace?: Pace
}

/**
 * The options every polled query shares, so each follows one policy (polling.ts): requests
 * go through a poller state machine (poller.ts), failures back off, 401 and 404 stop, and
 * the schedule is the poller's `nextInterval`.
 */
export function polledQueryOptions<TData>({ pollerKey, fetch, eventOf, onAnswer, elapsedMs, pace }: PolledEndpoint<TData>, client: QueryClient) {
  return {
    queryFn: async ({ signal }: { signal: AbortSignal }): Promise<TData> => {
      let data: TData
      try {
        data = await fetch(signal)
      } catch (error) {
        // Count the failure (backoff, or stop on 401/404) and let TanStack keep the error
        // for display. A cancelled request is not a failure.
        if (!signal.aborted) advancePoller(client, pollerKey, failureEvent(error))
        throw error
      }
      const { prev, next } = advancePoller(client, pollerKey, eventOf(data))
      onAnswer?.(prev, next)
      return data
    },
    // While the progress stream is live it brings every change: no polling (stream.ts).
    refetchInterval: () => (streamLive() ? false : nextInterval(elapsedMs(), readPollerAt(client, pollerKey), pace)),
    refetchIntervalInBackground: POLL_WHILE_HIDDEN,
    // Once finished or stopped, nothing refetches: not a remount, not focus.
    staleTime: () => (isFinal(readPollerAt(client, pollerKey)) ? ('static' as const) : 0),
    // Failures go through the poller's backoff, not through TanStack's retries.
    retry: false,
  }
}

/**
 * Fetch the detail of a task that just ended, once. A copy read while the task ran (the video
 * page reads it on mount) is invalidated, and a read still in flight is cancelled because it
 * may predate the end. None of the three calls rejects: a failed fetch stays in the detail
 * query's state, which the components show.
 */
async function fetchDetailOnce<TDetail, TKey extends QueryKey>(
  client: QueryClient,
  detail: FetchQueryOptions<TDetail, Error, TDetail, TKey>,
): Promise<void> {
  await client.cancelQueries({ queryKey: detail.queryKey })
  await client.invalidateQueries({ queryKey: detail.queryKey, refetchType: 'none' })
  await client.prefetchQuery(detail)
}

/**
 * Query options that poll a task's progress endpoint on the poller's schedule and fetch its
 * detail once when it ends.
 */
export function pollingQueryOptions<TProgress extends { status: string }, TDetail, TKey extends QueryKey>(
  client: QueryClient,
  task: TaskRef,
  fetchProgress: (signal: AbortSignal) => Promise<TProgress>,
  detail: FetchQueryOptions<TDetail, Error, TDetail, TKey>,
) {
  return queryOptions({
    queryKey: taskKeys.progress(task),
    ...polledQueryOptions<TProgress>(
      {
        pollerKey: taskKeys.poller(task),
        fetch: fetchProgress,
        eventOf: (progress) => ({ type: 'progress', status: progress.status }),
        onAnswer: (prev, next) => {
          if (next.kind === 'finished' && prev.kind !== 'finished') void fetchDetailOnce(client, detail)
        },
        elapsedMs: () => Date.now() - task.startedAt,
      },
      client,
    ),
  })
}

/**
 * Poll a task again after it was retried: its poller starts over (a finished poller is
 * final) and its cached progress and detail are dropped, so nothing shows the old end.
 */
export async function pollerRestart(client: QueryClient, task: TaskId): Promise<void> {
  client.setQueryData(taskKeys.poller(task), INITIAL_POLLER)
  await client.resetQueries({ queryKey: taskKeys.progress(task) })
  client.removeQueries({ queryKey: taskKeys.detail(task) })
}

/**
 * Apply a progress answer the stream pushed, as if a poll had brought it: the same cache
 * entry, the same poller, and the detail read once when the task ends.
 */
export function pushedProgress<TDetail, TKey extends QueryKey>(
  client: QueryClient,
  task: TaskId,
  progress: { status: string },
  detail: FetchQueryOptions<TDetail, Error, TDetail, TKey>,
): void {
  const pollerKey = taskKeys.poller(task)
  if (isFinal(readPollerAt(client, pollerKey))) return
  client.setQueryData(taskKeys.progress(task), progress)
  const { prev, next } = advancePoller(client, pollerKey, { type: 'progress', status: progress.status })
  if (next.kind === 'finished' && prev.kind !== 'finished') void fetchDetailOnce(client, detail)
}

/** The poller's state for display; the same object the polling schedule reads. */
export function usePoller(task: TaskId): PollerState {
  return useQuery(pollerQueryOptions(task)).data ?? INITIAL_POLLER
}
