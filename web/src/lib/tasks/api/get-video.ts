import { queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { taskKeys } from '@/lib/tasks/task-query'
import type { VideoDetail } from '@/lib/tasks/types'

export function getVideo(id: string, signal?: AbortSignal): Promise<VideoDetail> {
  return api.get<VideoDetail>(`/media/videos/${encodeURIComponent(id)}/`, { signal })
}

/**
 * The video row from the database. Read when the video page opens and once more when the
 * encoding ends (task-query.ts); never on a timer.
 */
export function videoQueryOptions(id: string) {
  return queryOptions({
    queryKey: taskKeys.detail({ kind: 'video', id }),
    queryFn: ({ signal }) => getVideo(id, signal),
    staleTime: Infinity,
  })
}

export function useVideo(id: string, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ ...videoQueryOptions(id), enabled })
}
