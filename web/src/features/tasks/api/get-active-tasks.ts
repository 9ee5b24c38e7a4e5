import { queryOptions, useQuery } from '@tanstack/react-query'
import { api, ApiError } from '../../../lib/api-client'
import { POLL_WHILE_HIDDEN } from '../polling'
import { taskKeys } from '../task-query'
import type { JobProgress, VideoProgress } from '../types'

/** One running task of the tenant; `progress` is exactly what its progress endpoint answers. */
export type ActiveTask =
  | { kind: 'video'; id: string; started_at: number; progress: VideoProgress }
  | { kind: 'job'; id: string; started_at: number; progress: JobProgress }

export type ActiveTasks = { results: ActiveTask[] }

export const ACTIVE_TASKS_INTERVAL_MS = 3_000

export function getActiveTasks(signal?: AbortSignal): Promise<ActiveTasks> {
  return api.get<ActiveTasks>('/api/v1/tasks/active/', { signal })
}

/** The tenant's running tasks, refreshed every 3 s while the page is visible. */
export function activeTasksQueryOptions() {
  return queryOptions({
    queryKey: taskKeys.active(),
    queryFn: ({ signal }) => getActiveTasks(signal),
    refetchInterval: (query) => {
      const { error } = query.state
      // 401 ends the session; 404 means the backend has no such list: asking again won't help.
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return false
      return ACTIVE_TASKS_INTERVAL_MS
    },
    refetchIntervalInBackground: POLL_WHILE_HIDDEN,
  })
}

export function useActiveTasks() {
  return useQuery(activeTasksQueryOptions())
}
