import { ErrorMessage } from '@/components/ErrorMessage'
import { ProgressBar } from '@/components/ProgressBar'
import { formatDuration } from '@/lib/format'
import { useI18n } from '@/lib/i18n'
import { useVideo } from '@/lib/tasks/api/get-video'
import { useVideoProgress } from '@/lib/tasks/api/get-video-progress'
import { failureText, remainingText, statusLabel } from '@/lib/tasks/labels'
import { isTerminal } from '@/lib/tasks/status'
import { useTrackedTasks } from '@/lib/tasks/store'
import { videoView } from '@/lib/tasks/task-view'
import { VideoPlayer } from './VideoPlayer'

/**
 * One video: its database row, read once when the page opens; while it encodes, its progress
 * (shared with the tasks panel's row); the HLS player once it is READY.
 */
export function VideoPage({ id }: { id: string }) {
  const { t, lang } = useI18n()
  const video = useVideo(id)
  const tracked = useTrackedTasks().find((task) => task.kind === 'video' && task.id === id)
  const running = video.data !== undefined && !isTerminal(video.data.status)
  const startedAt = tracked?.startedAt ?? (video.data ? Date.parse(video.data.created_at) : 0)
  const progress = useVideoProgress({ kind: 'video', id, startedAt }, { enabled: running })

  if (video.isPending) {
    return (
      <section className="panel" data-testid="video-page">
        <p className="muted">{t('common.loading')}</p>
      </section>
    )
  }
  if (video.isError) {
    return (
      <section className="panel" data-testid="video-page">
        <ErrorMessage error={video.error} testId="video-error" />
      </section>
    )
  }

  const detail = video.data
  const view = running && progress.data ? videoView(progress.data) : null
  const status = view?.status ?? detail.status
  const duration = detail.duration ?? progress.data?.duration ?? null
  const failure =
    status === 'FAILED'
      ? detail.status === 'FAILED'
        ? { code: detail.error_code, params: detail.error_params, english: detail.error_reason }
        : view?.error
      : null

  return (
    <section className="panel" data-testid="video-page" data-status={status}>
      <h2>{detail.title}</h2>
      <dl className="facts">
        <dt>{t('video.status')}</dt>
        <dd data-testid="video-status">{statusLabel(status, t)}</dd>
        <dt>{t('video.duration')}</dt>
        <dd data-testid="video-duration">{duration !== null ? formatDuration(duration) : '—'}</dd>
      </dl>
      {view && (
        <>
          <ProgressBar value={view.percent} label={detail.title} testId="video-progress" />
          {view.remainingSeconds !== null && <p className="muted">{remainingText(view.remainingSeconds, t)}</p>}
        </>
      )}
      <ErrorMessage error={progress.error} testId="video-progress-error" />
      {failure && (
        <div className="error" role="alert" data-testid="video-error-reason">
          {failureText({ ...failure, fallback: 'video.failed' }, lang, t)}
        </div>
      )}
      {detail.playback_url ? (
        <VideoPlayer src={detail.playback_url} poster={detail.poster_url} />
      ) : (
        detail.status === 'READY' && <p className="muted">{t('video.noPlaybackUrl')}</p>
      )}
    </section>
  )
}
