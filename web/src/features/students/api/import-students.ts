import { useMutation } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { trackedTasks } from '@/lib/tasks/store'

export type ImportInput = { file: File; dryRun: boolean }

/** New students get one-time activation codes (in the job's result): no shared password. */
export function importStudents({ file, dryRun }: ImportInput): Promise<{ job_id: string }> {
  const form = new FormData()
  form.append('file', file)
  if (dryRun) form.append('dry_run', 'true')
  return api.postForm<{ job_id: string }>('/api/v1/students/import/', form)
}

/** Start an import job; it joins the tasks panel and the form shows its outcome. */
export function useImportStudents() {
  return useMutation({
    mutationFn: importStudents,
    onSuccess: ({ job_id }, input) => {
      trackedTasks.add({
        kind: 'job',
        id: job_id,
        startedAt: Date.now(),
        origin: 'import',
        label: input.file.name,
      })
    },
  })
}
