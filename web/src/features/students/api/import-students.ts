import { useMutation } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { trackedTasks } from '@/lib/tasks/store'

export type ImportInput = { file: File; initialPassword: string; dryRun: boolean }

export type FailedRow = { row: number; name: string; error: string }

/** The Excel import job's `result` (API.md). */
export type ImportResult = {
  created: number
  restored: number
  skipped_existing: number
  failed: FailedRow[]
  total: number
}

export function importStudents({ file, initialPassword, dryRun }: ImportInput): Promise<{ job_id: string }> {
  const form = new FormData()
  form.append('file', file)
  form.append('initial_password', initialPassword)
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

/** Narrow an unknown job result to the import's shape, or null if it is something else. */
export function asImportResult(result: unknown): ImportResult | null {
  if (typeof result !== 'object' || result === null) return null
  const r = result as Partial<ImportResult>
  const counts = [r.created, r.restored, r.skipped_existing, r.total]
  if (!counts.every((n) => typeof n === 'number') || !Array.isArray(r.failed)) return null
  return r as ImportResult
}
