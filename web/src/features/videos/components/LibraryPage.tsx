import { useState } from 'react'
import { CursorListBody } from '@/components/CursorListBody'
import { ErrorMessage } from '@/components/ErrorMessage'
import { ProgressBar } from '@/components/ProgressBar'
import { formatDuration } from '@/lib/format'
import { useI18n } from '@/lib/i18n'
import { useVideo } from '@/lib/tasks/api/get-video'
import { useVideoProgress } from '@/lib/tasks/api/get-video-progress'
import { useTaskAction, useVideoDelete } from '@/lib/tasks/api/task-actions'
import { failureText, statusLabel } from '@/lib/tasks/labels'
import { isTerminal } from '@/lib/tasks/status'
import { videoView } from '@/lib/tasks/task-view'
import type { VideoListItem } from '@/lib/tasks/types'
import { useVideos, type VideoFilters } from '@/features/videos/api/get-videos'

const STATUSES = ['', 'PENDING', 'PROCESSING', 'READY', 'FAILED', 'CANCELLED'] as const

function VideoCard({ video }: { video: VideoListItem }) {
  const { t, lang } = useI18n()
  const id = String(video.id)
  const listedRunning = !isTerminal(video.status)
  const startedAt = Date.parse(video.started_at ?? video.created_at)
  // A running video polls its own progress (the one poller per task the panel shares); when
  // it ends, the poller reads the row once and that copy replaces the listed one.
  const progress = useVideoProgress({ kind: 'video', id, startedAt }, { enabled: listedRunning })
  const ended = useVideo(id, { enabled: false }).data
  const current = listedRunning && ended && isTerminal(ended.status) ? { ...video, ...ended } : video
  const view = listedRunning && progress.data ? videoView(progress.data) : null
  const status = view && !isTerminal(current.status) ? view.status : current.status
  const action = useTaskAction()
  const remove = useVideoDelete()
  const target = { kind: 'video' as const, id, label: current.title, origin: 'library' as const }
  const failure =
    status === 'FAILED'
      ? current.status === 'FAILED'
        ? { code: current.error_code, params: current.error_params, english: current.error_reason }
        : view?.error
      : null
  const titleId = `video-title-${id}`

  return (
    <li className="video-card" data-testid="library-item" data-video-id={id} data-status={status} aria-labelledby={titleId}>
      <div className="poster">
        {current.poster_url ? <img src={current.poster_url} alt="" /> : <span aria-hidden="true">▶</span>}
      </div>
      <div className="video-body">
        <div className="task-head">
          <a id={titleId} href={`#/videos/${encodeURIComponent(id)}`} data-testid="library-title">
            {current.title}
          </a>
          <span className={`badge badge-${status.toLowerCase()}`} data-testid="library-status">
            {statusLabel(status, t)}
          </span>
        </div>
        <div className="task-meta">
          <span data-testid="library-duration">
            {t('video.duration')}: {current.duration != null ? formatDuration(current.duration) : '—'}
          </span>
        </div>
        {view && !isTerminal(status) && <ProgressBar value={view.percent} label={current.title} testId="library-progress" />}
        {failure && (
          <div className="error" data-testid="library-error">
            {failureText({ ...failure, fallback: 'video.failed' }, lang, t)}
          </div>
        )}
        <ErrorMessage error={action.error ?? remove.error} testId="library-action-error" />
        <div className="actions">
          {status === 'READY' && (
            <a className="button" href={`#/videos/${encodeURIComponent(id)}`} data-testid="library-play">
              {t('library.play')}
              <span className="sr-only">: {current.title}</span>
            </a>
          )}
          {(status === 'FAILED' || status === 'CANCELLED') && (
            <button type="button" data-testid="library-retry" disabled={action.isPending} onClick={() => action.mutate({ target, action: 'retry' })}>
              {t('action.retry')}
              <span className="sr-only">: {current.title}</span>
            </button>
          )}
          {!isTerminal(status) && (
            <button type="button" data-testid="library-cancel" disabled={action.isPending} onClick={() => action.mutate({ target, action: 'cancel' })}>
              {t('action.cancel')}
              <span className="sr-only">: {current.title}</span>
            </button>
          )}
          {isTerminal(status) && (
            <button
              type="button"
              className="danger"
              data-testid="library-delete"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(t('library.confirmDelete', { title: current.title }))) remove.mutate(id)
              }}
            >
              {t('action.delete')}
              <span className="sr-only">: {current.title}</span>
            </button>
          )}
        </div>
      </div>
    </li>
  )
}

/** The video library: every video of the academy, newest first, with search and a status filter. */
export function LibraryPage() {
  const { t } = useI18n()
  const [filters, setFilters] = useState<VideoFilters>({ q: '', status: '' })
  const videos = useVideos(filters)
  const items = videos.data?.pages.flatMap((page) => page.results) ?? []
  return (
    <section className="panel" data-testid="library-page" aria-labelledby="library-heading">
      <div className="panel-head">
        <h2 id="library-heading">{t('library.title')}</h2>
        <a href="#/upload">{t('nav.upload')}</a>
      </div>
      <div className="filters" role="search">
        <label>
          {t('filter.search')}
          <input type="search" data-testid="library-search" value={filters.q} onChange={(e) => setFilters({ ...filters, q: e.target.value })} />
        </label>
        <label>
          {t('filter.status')}
          <select data-testid="library-status-filter" value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value })}>
            {STATUSES.map((status) => (
              <option key={status} value={status}>
                {status ? statusLabel(status, t) : t('filter.all')}
              </option>
            ))}
          </select>
        </label>
      </div>
      <CursorListBody query={videos} isEmpty={items.length === 0} emptyText={t('library.empty')} testId="library" errorTestId="library-error-list">
        <ul className="video-grid" data-testid="library-list">
          {items.map((video) => (
            <VideoCard key={video.id} video={video} />
          ))}
        </ul>
      </CursorListBody>
    </section>
  )
}
