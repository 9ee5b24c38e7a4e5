import { queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { taskKeys } from '@/lib/tasks/task-query'
import type { JobDetail } from '@/lib/tasks/types'

export function getJob(jobId: string, signal?: AbortSignal): Promise<JobDetail> {
  return api.get<JobDetail>(`/api/v1/jobs/${encodeURIComponent(jobId)}/`, { signal })
}

/** The job row from the database, fetched once when the job ends (task-query.ts). */
export function jobQueryOptions(jobId: string) {
  return queryOptions({
    queryKey: taskKeys.detail({ kind: 'job', id: jobId }),
    // No abort signal: TanStack cancels a fetch whose signal was read once its last observer
    // unmounts (a panel row moving to "Finished"), and this read is the one the end needs.
    queryFn: () => getJob(jobId),
    staleTime: Infinity,
  })
}

/** Read the job row if it was fetched; this hook itself never requests it. */
export function useJob(jobId: string) {
  return useQuery({ ...jobQueryOptions(jobId), enabled: false })
}
