import { useMutation } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { trackedTasks } from '@/lib/tasks/store'

export type SendMessageInput = ({ recipients: string[] } | { student_ids: number[] }) & { body: string; subject: string }

export function sendMessage(input: SendMessageInput): Promise<{ job_id: string }> {
  return api.post<{ job_id: string }>('/api/v1/messages/', input)
}

/** Start a message job; it joins the tasks panel and the form shows its outcome. */
export function useSendMessage() {
  return useMutation({
    mutationFn: sendMessage,
    onSuccess: ({ job_id }) => {
      trackedTasks.add({ kind: 'job', id: job_id, startedAt: Date.now(), origin: 'message' })
    },
  })
}
