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
import { nextInterval, POLL_WHILE_HIDDEN } from './polling'
import { failureEvent, INITIAL_POLLER, isFinal, transition, type PollerEvent, type PollerState } from './poller'
import type { TaskKind, TaskRef } from './types'

type TaskId = { kind: TaskKind; id: string }

export const taskKeys = {
  active: () => ['tasks', 'active'] as const,
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
  return queryOptions({ ...pollerCacheEntry(task), queryFn: skipToken, staleTime: Infinity })
}

function pollerCacheEntry(task: TaskId) {
  return { queryKey: taskKeys.poller(task), initialData: INITIAL_POLLER as PollerState, gcTime: Infinity }
}

export function readPoller(client: QueryClient, task: TaskId): PollerState {
  // build() returns the entry, creating it with gcTime Infinity if no component did yet.
  const query = client.getQueryCache().build<PollerState>(client, pollerCacheEntry(task))
  return query.state.data ?? INITIAL_POLLER
}

function advancePoller(client: QueryClient, task: TaskId, event: PollerEvent) {
  const prev = readPoller(client, task)
  const next = transition(prev, event)
  if (next !== prev) client.setQueryData(taskKeys.poller(task), next)
  return { prev, next }
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
    queryFn: async ({ signal }): Promise<TProgress> => {
      let progress: TProgress
      try {
        progress = await fetchProgress(signal)
      } catch (error) {
        // Count the failure (backoff, or stop on 401/404) and let TanStack keep the error
        // for display. A cancelled request is not a failure.
        if (!signal.aborted) advancePoller(client, task, failureEvent(error))
        throw error
      }
      const { prev, next } = advancePoller(client, task, { type: 'progress', status: progress.status })
      if (next.kind === 'finished' && prev.kind !== 'finished') void fetchDetailOnce(client, detail)
      return progress
    },
    refetchInterval: () => nextInterval(Date.now() - task.startedAt, readPoller(client, task)),
    refetchIntervalInBackground: POLL_WHILE_HIDDEN,
    // Once finished or stopped, nothing refetches the progress: not a remount, not focus.
    staleTime: () => (isFinal(readPoller(client, task)) ? 'static' : 0),
    // Failures go through the poller's backoff, not through TanStack's retries.
    retry: false,
  })
}

/** The poller's state for display; the same object the polling schedule reads. */
export function usePoller(task: TaskId): PollerState {
  return useQuery(pollerQueryOptions(task)).data ?? INITIAL_POLLER
}
