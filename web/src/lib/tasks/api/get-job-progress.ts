import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { pollingQueryOptions } from '@/lib/tasks/task-query'
import type { JobProgress, TaskRef } from '@/lib/tasks/types'
import { jobQueryOptions } from './get-job'

export function getJobProgress(jobId: string, signal?: AbortSignal): Promise<JobProgress> {
  return api.get<JobProgress>(`/api/v1/jobs/${encodeURIComponent(jobId)}/progress/`, { signal })
}

export function jobProgressQueryOptions(client: QueryClient, task: TaskRef) {
  return pollingQueryOptions(
    client,
    task,
    (signal) => getJobProgress(task.id, signal),
    jobQueryOptions(task.id),
  )
}

export function useJobProgress(task: TaskRef, { enabled = true }: { enabled?: boolean } = {}) {
  const client = useQueryClient()
  return useQuery({ ...jobProgressQueryOptions(client, task), enabled })
}
