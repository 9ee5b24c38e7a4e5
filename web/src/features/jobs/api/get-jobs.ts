import { useInfiniteQuery } from '@tanstack/react-query'
import { cursorListOptions } from '@/lib/cursor-list'
import { listKeys } from '@/lib/tasks/api/task-actions'
import type { JobListItem } from '@/lib/tasks/types'

export type JobFilters = { job_type: string; status: string }

/** The job history, newest first (`GET /api/v1/jobs/`). */
export function useJobs(filters: JobFilters) {
  return useInfiniteQuery(cursorListOptions<JobListItem>(listKeys.jobs, '/api/v1/jobs/', { ...filters, page_size: 20 }))
}
