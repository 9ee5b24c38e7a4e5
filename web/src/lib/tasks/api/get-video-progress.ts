import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { pollingQueryOptions } from '@/lib/tasks/task-query'
import type { TaskRef, VideoProgress } from '@/lib/tasks/types'
import { videoQueryOptions } from './get-video'

export function getVideoProgress(id: string, signal?: AbortSignal): Promise<VideoProgress> {
  return api.get<VideoProgress>(`/media/videos/${encodeURIComponent(id)}/progress/`, { signal })
}

export function videoProgressQueryOptions(client: QueryClient, task: TaskRef) {
  return pollingQueryOptions(
    client,
    task,
    (signal) => getVideoProgress(task.id, signal),
    videoQueryOptions(task.id),
  )
}

export function useVideoProgress(task: TaskRef, { enabled = true }: { enabled?: boolean } = {}) {
  const client = useQueryClient()
  return useQuery({ ...videoProgressQueryOptions(client, task), enabled })
}
