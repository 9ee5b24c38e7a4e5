import { useRef, useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { ProgressBar } from '@/components/ProgressBar'
import { formatBytes } from '@/lib/format'
import { useI18n } from '@/lib/i18n'
import { useUploadVideo } from '@/features/videos/api/upload-video'

export function UploadForm() {
  const { t } = useI18n()
  const { mutation, sent } = useUploadVideo()
  const [title, setTitle] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const abort = useRef<AbortController | null>(null)
  const fileInput = useRef<HTMLInputElement>(null)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (!file) return
    abort.current = new AbortController()
    mutation.mutate(
      { title: title.trim(), file, signal: abort.current.signal },
      {
        // An uploaded file left in the form invites a duplicate: start over, empty.
        onSuccess: () => {
          setTitle('')
          setFile(null)
          if (fileInput.current) fileInput.current.value = ''
        },
      },
    )
  }

  const percent = sent && sent.total > 0 ? Math.round((sent.loaded / sent.total) * 100) : 0
  const cancelled = mutation.error instanceof DOMException && mutation.error.name === 'AbortError'

  return (
    <form className="panel" onSubmit={submit} data-testid="upload-form">
      <h2>{t('upload.title')}</h2>
      <label>
        {t('upload.videoTitle')}
        <input data-testid="upload-title" required value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <label>
        {t('upload.file')}
        <input
          ref={fileInput}
          data-testid="upload-file"
          type="file"
          accept="video/*"
          required
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </label>
      {mutation.isPending && (
        <div className="upload-progress">
          <ProgressBar value={percent} label={t('upload.progress')} testId="upload-progress" />
          <span className="muted">
            {sent ? t('upload.sent', { loaded: formatBytes(sent.loaded), total: formatBytes(sent.total) }) : t('upload.starting')}
          </span>
        </div>
      )}
      {cancelled ? (
        <p className="muted" data-testid="upload-cancelled">
          {t('upload.cancelled')}
        </p>
      ) : (
        <ErrorMessage error={mutation.error} />
      )}
      {mutation.isSuccess && (
        <p className="success" data-testid="upload-done" role="status">
          {t('upload.done')}{' '}
          <a href={`#/videos/${encodeURIComponent(String(mutation.data.id))}`}>{t('upload.openVideo')}</a>
        </p>
      )}
      <div className="actions">
        <button type="submit" data-testid="upload-submit" disabled={mutation.isPending || !file}>
          {t('upload.submit')}
        </button>
        {mutation.isPending && (
          <button type="button" data-testid="upload-cancel" onClick={() => abort.current?.abort()}>
            {t('upload.cancel')}
          </button>
        )}
      </div>
    </form>
  )
}
