import { useState } from 'react'
import { CursorListBody } from '@/components/CursorListBody'
import { ErrorMessage } from '@/components/ErrorMessage'
import { ProgressBar } from '@/components/ProgressBar'
import { JobResult } from '@/components/job-results/JobResult'
import { formatDateTime } from '@/lib/format'
import { useI18n } from '@/lib/i18n'
import { jobQueryOptions, useJob } from '@/lib/tasks/api/get-job'
import { useJobProgress } from '@/lib/tasks/api/get-job-progress'
import { useTaskAction } from '@/lib/tasks/api/task-actions'
import { failureText, jobTitle, jobTypeLabel, statusLabel } from '@/lib/tasks/labels'
import { isTerminal } from '@/lib/tasks/status'
import { jobView } from '@/lib/tasks/task-view'
import type { JobListItem } from '@/lib/tasks/types'
import { useQuery } from '@tanstack/react-query'
import { useJobs, type JobFilters } from '@/features/jobs/api/get-jobs'

const JOB_TYPES = ['', 'short_answer_grading', 'message_send', 'excel_student_import'] as const
const STATUSES = ['', 'PENDING', 'PROCESSING', 'DONE', 'FAILED', 'CANCELLED'] as const

function durationText(seconds: number | null | undefined, t: ReturnType<typeof useI18n>['t']): string {
  if (seconds == null) return '—'
  if (seconds < 60) return t('duration.seconds', { n: Math.round(seconds * 10) / 10 })
  return t('duration.minutes', { m: Math.floor(seconds / 60), s: Math.round(seconds % 60) })
}

/** The job's full result, read when the row is opened (the list carries no results). */
function ResultPanel({ job }: { job: JobListItem }) {
  const { t } = useI18n()
  const detail = useQuery(jobQueryOptions(job.job_id))
  if (detail.isPending) return <p className="muted">{t('common.loading')}</p>
  if (detail.isError) return <ErrorMessage error={detail.error} testId="history-result-error" />
  return <JobResult jobType={job.job_type} result={detail.data.result} />
}

function JobRow({ job }: { job: JobListItem }) {
  const { t, lang } = useI18n()
  const [open, setOpen] = useState(false)
  const listedRunning = !isTerminal(job.status)
  const task = { kind: 'job' as const, id: job.job_id, startedAt: Date.parse(job.started_at ?? job.created_at) }
  const progress = useJobProgress(task, { enabled: listedRunning })
  const ended = useJob(job.job_id).data
  const current = listedRunning && ended && isTerminal(ended.status) ? { ...job, ...ended } : job
  const view = listedRunning && progress.data ? jobView(progress.data, Date.now() - task.startedAt) : null
  const status = view && !isTerminal(current.status) ? view.status : current.status
  const title = jobTitle(current, t)
  const action = useTaskAction()
  const target = { kind: 'job' as const, id: job.job_id, label: title, origin: 'history' as const }
  const failure =
    status === 'FAILED'
      ? { code: current.error_code, params: current.error_params, english: current.error_message }
      : null
  return (
    <>
      <tr data-testid="history-row" data-job-id={job.job_id} data-job-type={job.job_type} data-status={status}>
        <td>
          <div data-testid="history-title">{title}</div>
          <div className="muted small">{jobTypeLabel(job.job_type, t)}</div>
        </td>
        <td>
          <span className={`badge badge-${status.toLowerCase()}`} data-testid="history-status">
            {statusLabel(status, t)}
          </span>
          {view && !isTerminal(status) && <ProgressBar value={view.percent} label={title} testId="history-progress" />}
          {failure && <div className="error small">{failureText(failure, lang, t)}</div>}
        </td>
        <td data-testid="history-who">{job.created_by?.username ?? '—'}</td>
        <td>{formatDateTime(job.created_at, lang)}</td>
        <td data-testid="history-duration">{durationText(job.duration_seconds, t)}</td>
        <td>
          <div className="actions">
            {status === 'DONE' && (
              <button type="button" data-testid="history-show-result" aria-expanded={open} onClick={() => setOpen(!open)}>
                {open ? t('history.hideResult') : t('history.showResult')}
                <span className="sr-only">: {title}</span>
              </button>
            )}
            {(status === 'FAILED' || status === 'CANCELLED') && (
              <button type="button" data-testid="history-retry" disabled={action.isPending} onClick={() => action.mutate({ target, action: 'retry' })}>
                {t('action.retry')}
                <span className="sr-only">: {title}</span>
              </button>
            )}
            {!isTerminal(status) && (
              <button type="button" data-testid="history-cancel" disabled={action.isPending} onClick={() => action.mutate({ target, action: 'cancel' })}>
                {t('action.cancel')}
                <span className="sr-only">: {title}</span>
              </button>
            )}
          </div>
          <ErrorMessage error={action.error} testId="history-action-error" />
        </td>
      </tr>
      {open && (
        <tr data-testid="history-result">
          <td colSpan={6}>
            <ResultPanel job={job} />
          </td>
        </tr>
      )}
    </>
  )
}

/** The history of jobs (AI grading, messages, imports): status, who, when, how long, result. */
export function HistoryPage() {
  const { t } = useI18n()
  const [filters, setFilters] = useState<JobFilters>({ job_type: '', status: '' })
  const jobs = useJobs(filters)
  const items = jobs.data?.pages.flatMap((page) => page.results) ?? []
  return (
    <section className="panel" data-testid="history-page" aria-labelledby="history-heading">
      <h2 id="history-heading">{t('history.title')}</h2>
      <div className="filters">
        <label>
          {t('filter.jobType')}
          <select data-testid="history-type-filter" value={filters.job_type} onChange={(e) => setFilters({ ...filters, job_type: e.target.value })}>
            {JOB_TYPES.map((type) => (
              <option key={type} value={type}>
                {type ? jobTypeLabel(type, t) : t('filter.all')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('filter.status')}
          <select data-testid="history-status-filter" value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })}>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status ? statusLabel(status, t) : t('filter.all')}
              </option>
            ))}
          </select>
        </label>
      </div>
      <CursorListBody query={jobs} isEmpty={items.length === 0} emptyText={t('history.empty')} testId="history">
        <div className="table-scroll">
          <table data-testid="history-table">
            <caption className="sr-only">{t('history.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('history.col.job')}</th>
                <th scope="col">{t('history.col.status')}</th>
                <th scope="col">{t('history.col.who')}</th>
                <th scope="col">{t('history.col.when')}</th>
                <th scope="col">{t('history.col.duration')}</th>
                <th scope="col">{t('history.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((job) => (
                <JobRow key={job.job_id} job={job} />
              ))}
            </tbody>
          </table>
        </div>
      </CursorListBody>
    </section>
  )
}
