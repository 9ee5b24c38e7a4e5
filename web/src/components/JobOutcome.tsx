import type { ReactNode } from 'react'
import { ErrorMessage } from './ErrorMessage'
import { useI18n } from '@/lib/i18n'
import { useJob } from '@/lib/tasks/api/get-job'
import { useJobProgress } from '@/lib/tasks/api/get-job-progress'
import type { TrackedTask } from '@/lib/tasks/store'
import { statusLabel } from '@/lib/tasks/labels'

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
  const { t } = useI18n()
  const progress = useJobProgress(task)
  const detail = useJob(task.id)
  const status = progress.data?.status ?? detail.data?.status ?? 'UNKNOWN'
  // A large result reaches Redis only as a summary ({truncated: true}); the detail, read
  // once at the end, has all of it.
  const fromProgress = progress.data?.result
  const result = isSummary(fromProgress) ? (detail.data?.result ?? fromProgress) : (fromProgress ?? detail.data?.result)
  const errorMessage = progress.data?.error_message ?? detail.data?.error_message
  return (
    <section className="panel outcome" data-testid={testId} data-status={status}>
      <p>
        {t('job.statusLine', { id: task.id })}{' '}
        <strong data-testid={`${testId}-status`}>{statusLabel(status, t)}</strong>
      </p>
      <ErrorMessage error={progress.error} testId={`${testId}-fetch-error`} />
      {status === 'FAILED' && (
        <div className="error" role="alert" data-testid={`${testId}-error`}>
          {errorMessage ?? t('job.failed')}
        </div>
      )}
      {status === 'DONE' && result !== undefined && result !== null && children(result)}
    </section>
  )
}

function isSummary(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { truncated?: unknown }).truncated === true
}
