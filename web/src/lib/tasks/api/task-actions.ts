import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { trackedTasks, type TaskOrigin } from '@/lib/tasks/store'
import { pollerRestart, taskKeys } from '@/lib/tasks/task-query'
import type { TaskKind } from '@/lib/tasks/types'

export type TaskAction = 'retry' | 'cancel'
export type ActionTarget = { kind: TaskKind; id: string; label?: string; origin: TaskOrigin }

/** Keys of the lists that show tasks (library, history): refreshed after every action. */
export const listKeys = {
  videos: ['videos', 'list'] as const,
  jobs: ['jobs', 'list'] as const,
}

const base = ({ kind, id }: { kind: TaskKind; id: string }) =>
  kind === 'video' ? `/media/videos/${encodeURIComponent(id)}/` : `/api/v1/jobs/${encodeURIComponent(id)}/`

export function taskAction(target: { kind: TaskKind; id: string }, action: TaskAction): Promise<unknown> {
  return api.post(`${base(target)}${action}/`, {})
}

async function listsRefresh(client: QueryClient, kind: TaskKind) {
  await client.invalidateQueries({ queryKey: kind === 'video' ? listKeys.videos : listKeys.jobs })
}

/**
 * Retry or cancel a task. A retried task is polled again from the start and joins the tasks
 * panel; a cancelled one is followed by its poller until it reads CANCELLED (or FAILED).
 */
export function useTaskAction() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: ({ target, action }: { target: ActionTarget; action: TaskAction }) => taskAction(target, action),
    onSuccess: async (_answer, { target, action }) => {
      if (action === 'retry') {
        await pollerRestart(client, target)
        trackedTasks.restart({ kind: target.kind, id: target.id, startedAt: Date.now(), origin: target.origin, label: target.label })
      } else {
        trackedTasks.add({ kind: target.kind, id: target.id, startedAt: Date.now(), origin: target.origin, label: target.label })
        await client.invalidateQueries({ queryKey: taskKeys.progress(target) })
      }
      await listsRefresh(client, target.kind)
    },
  })
}

/** Delete a video that is not encoding, its files too. */
export function useVideoDelete() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete(`/media/videos/${encodeURIComponent(id)}/`),
    onSuccess: async (_answer, id) => {
      trackedTasks.remove({ kind: 'video', id, startedAt: 0 })
      await listsRefresh(client, 'video')
    },
  })
}
