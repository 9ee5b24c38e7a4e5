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
    // No abort signal: TanStack cancels a fetch whose signal was read once its last observer
    // unmounts (a panel row moving to "Finished"), and this read is the one the end needs.
    queryFn: () => getVideo(id),
    staleTime: Infinity,
  })
}

export function useVideo(id: string, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({ ...videoQueryOptions(id), enabled })
}
