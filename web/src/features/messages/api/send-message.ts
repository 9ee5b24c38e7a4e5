import { useMutation } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { trackedTasks } from '@/lib/tasks/store'

export type SendMessageInput = ({ recipients: string[] } | { student_ids: number[] }) & { body: string }

/** The message job's `result`. */
export type MessageResult = {
  sent: number
  failed: { recipient: string; error: string }[]
  total: number
}

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

export function asMessageResult(result: unknown): MessageResult | null {
  if (typeof result !== 'object' || result === null) return null
  const r = result as Partial<MessageResult>
  if (typeof r.sent !== 'number' || typeof r.total !== 'number' || !Array.isArray(r.failed)) return null
  return r as MessageResult
}
