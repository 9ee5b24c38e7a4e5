import { queryOptions, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { steadyPace } from '@/lib/tasks/polling'
import { polledQueryOptions, taskKeys } from '@/lib/tasks/task-query'
import type { JobProgress, VideoProgress } from '@/lib/tasks/types'

/** One running task of the tenant; `progress` is exactly what its progress endpoint answers. */
export type ActiveTask =
  | { kind: 'video'; id: string; started_at: number; progress: VideoProgress }
  | { kind: 'job'; id: string; started_at: number; progress: JobProgress }

export type ActiveTasks = { results: ActiveTask[] }

export const ACTIVE_TASKS_INTERVAL_MS = 3_000

export function getActiveTasks(signal?: AbortSignal): Promise<ActiveTasks> {
  return api.get<ActiveTasks>('/api/v1/tasks/active/', { signal })
}

/**
 * The tenant's running tasks, every 3 s while the page is visible, under the same polling
 * policy as each task's progress: failures back off, 401 (session over) and 404 (no such
 * list on this backend) stop it.
 */
export function activeTasksQueryOptions(client: QueryClient) {
  return queryOptions({
    queryKey: taskKeys.active(),
    ...polledQueryOptions<ActiveTasks>(
      {
        pollerKey: taskKeys.activePoller(),
        fetch: getActiveTasks,
        eventOf: () => ({ type: 'answer' }),
        elapsedMs: () => 0,
        pace: steadyPace(ACTIVE_TASKS_INTERVAL_MS),
      },
      client,
    ),
  })
}

export function useActiveTasks() {
  const client = useQueryClient()
  return useQuery(activeTasksQueryOptions(client))
}
