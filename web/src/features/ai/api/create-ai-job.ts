import { useMutation } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { trackedTasks } from '@/lib/tasks/store'
import type { GradingPayload } from '@/features/ai/grading-input'

export type AiJobInput = { job_type: 'short_answer_grading'; payload: GradingPayload }

export function createAiJob(input: AiJobInput): Promise<{ job_id: string }> {
  return api.post<{ job_id: string }>('/api/v1/ai/jobs/', input)
}

/** Start an AI job; it joins the tasks panel and the form shows its outcome. */
export function useCreateAiJob() {
  return useMutation({
    mutationFn: createAiJob,
    onSuccess: ({ job_id }) => {
      trackedTasks.add({ kind: 'job', id: job_id, startedAt: Date.now(), origin: 'ai' })
    },
  })
}
