import { ErrorMessage } from '@/components/ErrorMessage'
import { ProgressBar } from '@/components/ProgressBar'
import { useI18n, type MessageKey, type Translate } from '@/lib/i18n'
import { stepText } from '@/lib/i18n/server'
import { useJob } from '@/lib/tasks/api/get-job'
import { useJobProgress } from '@/lib/tasks/api/get-job-progress'
import { useVideo } from '@/lib/tasks/api/get-video'
import { useVideoProgress } from '@/lib/tasks/api/get-video-progress'
import { backoffMs } from '@/lib/tasks/polling'
import { isFinal, type PollerState } from '@/lib/tasks/poller'
import { trackedTasks, type TrackedTask } from '@/lib/tasks/store'
import { usePoller } from '@/lib/tasks/task-query'
import { jobView, videoView, type TaskView } from '@/lib/tasks/task-view'
import { failureText, jobTitle, remainingText, statusLabel } from '@/lib/tasks/labels'

type RowProps = {
  task: TrackedTask
  label: string
  href: string | null
  view: TaskView | null
  poller: PollerState
  progressError: unknown
  detailError: unknown
}

function pollerText(poller: PollerState, t: Translate): string | null {
  switch (poller.kind) {
    case 'backing-off':
      return t('task.retrying', { seconds: backoffMs(poller.failures) / 1000 })
    case 'stopped':
      return t(poller.reason === 'not-found' ? 'task.stoppedNotFound' : 'task.stoppedUnauthorized')
    default:
      return null
  }
}

function TaskRowView({ task, label, href, view, poller, progressError, detailError }: RowProps) {
  const { t, lang } = useI18n()
  const status = view?.status ?? 'UNKNOWN'
  const note = pollerText(poller, t)
  return (
    <li
      className="task-row"
      data-testid="task-row"
      data-kind={task.kind}
      data-task-id={task.id}
      data-status={status}
      data-poller={poller.kind}
    >
      <div className="task-head">
        {href ? <a href={href}>{label}</a> : <span>{label}</span>}
        <span className={`badge badge-${status.toLowerCase()}`} data-testid="task-status">
          {statusLabel(status, t)}
        </span>
      </div>
      <ProgressBar value={view?.percent ?? 0} label={label} testId="task-progress" />
      <div className="task-meta">
        {view?.step && (
          <span data-testid="task-step">
            {view.step.index !== null && view.step.total !== null
              ? t('task.stepOf', { index: view.step.index, total: view.step.total, name: stepText(lang, view.step.name, view.step.code, view.step.params) })
              : stepText(lang, view.step.name, view.step.code, view.step.params)}
            {view.step.percent !== null && ` · ${view.step.percent}%`}
          </span>
        )}
        {view?.remainingSeconds != null && (
          <span data-testid="task-eta">{remainingText(view.remainingSeconds, t)}</span>
        )}
      </div>
      {view?.error && (
        <div className="error" data-testid="task-error">
          {failureText({ ...view.error, fallback: task.kind === 'video' ? 'video.failed' : 'task.failedNoReason' }, lang, t)}
        </div>
      )}
      {note && (
        <div className="warning" data-testid="task-poller-message">
          {note}
          {poller.kind === 'backing-off' && <ErrorMessage error={progressError} testId="task-fetch-error" />}
        </div>
      )}
      <ErrorMessage error={detailError} testId="task-detail-error" />
      {isFinal(poller) && (
        <button type="button" className="link" data-testid="task-dismiss" onClick={() => trackedTasks.remove(task)}>
          {t('task.dismiss')}
        </button>
      )}
    </li>
  )
}

function VideoTaskRow({ task }: { task: TrackedTask }) {
  const { t } = useI18n()
  const poller = usePoller(task)
  const progress = useVideoProgress(task)
  // A task picked up from the active list has no label: its title is in the row (read once).
  const detail = useVideo(task.id, { enabled: !task.label })
  return (
    <TaskRowView
      task={task}
      label={task.label ?? detail.data?.title ?? t('task.video')}
      href={`#/videos/${encodeURIComponent(task.id)}`}
      view={progress.data ? videoView(progress.data) : null}
      poller={poller}
      progressError={progress.error}
      detailError={detail.error}
    />
  )
}

const JOB_PAGES: Partial<Record<TrackedTask['origin'], { href: string; label: MessageKey }>> = {
  import: { href: '#/import', label: 'nav.import' },
  message: { href: '#/messages', label: 'nav.messages' },
  ai: { href: '#/ai', label: 'nav.ai' },
}

function JobTaskRow({ task }: { task: TrackedTask }) {
  const { t } = useI18n()
  const poller = usePoller(task)
  const progress = useJobProgress(task)
  const detail = useJob(task.id)
  const jobType = progress.data?.job_type ?? detail.data?.job_type
  const page = JOB_PAGES[task.origin]
  const label = jobType
    ? jobTitle(
        {
          job_type: jobType,
          title_params:
            detail.data?.title_params ??
            progress.data?.title_params ??
            (task.origin === 'import' && task.label ? { filename: task.label } : null),
        },
        t,
      )
    : (task.label ?? t('task.job'))
  return (
    <TaskRowView
      task={task}
      label={label}
      href={page?.href ?? null}
      view={progress.data ? jobView(progress.data, Date.now() - task.startedAt) : null}
      poller={poller}
      progressError={progress.error}
      detailError={detail.error}
    />
  )
}

export function TaskRow({ task }: { task: TrackedTask }) {
  return task.kind === 'video' ? <VideoTaskRow task={task} /> : <JobTaskRow task={task} />
}
