import type { ReactNode } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'
import { useJob } from '@/lib/tasks/api/get-job'
import { useJobProgress } from '@/lib/tasks/api/get-job-progress'
import { failureText, jobTitle, statusLabel } from '@/lib/tasks/labels'
import type { TrackedTask } from '@/lib/tasks/store'

type Props = {
  task: TrackedTask
  testId: string
  /** Render the job's `result` once the job is DONE. */
  children: (result: unknown) => ReactNode
}

/**
 * The outcome of a job a form started: its status while it runs (the tasks panel shows the
 * progress bar), its error if it failed, its result when done. Shares the job's queries with
 * the panel, so it adds no polling of its own.
 */
export function JobOutcome({ task, testId, children }: Props) {
  const { t, lang } = useI18n()
  const progress = useJobProgress(task)
  const detail = useJob(task.id)
  const status = progress.data?.status ?? detail.data?.status ?? 'UNKNOWN'
  // Redis may keep only a summary of a large result (grading keeps no per-student rows);
  // the detail, read once at the end, has all of it.
  const result = detail.data?.result ?? progress.data?.result
  const failed = detail.data ?? progress.data
  const jobType = progress.data?.job_type ?? detail.data?.job_type
  const title = jobType ? jobTitle({ job_type: jobType, title_params: detail.data?.title_params ?? progress.data?.title_params }, t) : task.label
  return (
    <section className="panel outcome" data-testid={testId} data-status={status} aria-live="polite">
      <p>
        <span data-testid={`${testId}-title`}>{title ?? t('common.loading')}</span>:{' '}
        <strong data-testid={`${testId}-status`}>{statusLabel(status, t)}</strong>
      </p>
      <ErrorMessage error={progress.error} testId={`${testId}-fetch-error`} />
      {status === 'FAILED' && (
        <div className="error" role="alert" data-testid={`${testId}-error`}>
          {failureText({ code: failed?.error_code, params: failed?.error_params, english: failed?.error_message }, lang, t)}
        </div>
      )}
      {status === 'DONE' && result !== undefined && result !== null && children(result)}
    </section>
  )
}
