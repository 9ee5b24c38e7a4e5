import { useEffect, useRef, useState } from 'react'
import { useI18n } from '@/lib/i18n'

const HLS_MIME = 'application/vnd.apple.mpegurl'

/**
 * Play an HLS master playlist: with hls.js where Media Source Extensions exist, else with
 * the browser's own HLS support (Safari on iOS). hls.js is loaded only on this page.
 */
export function VideoPlayer({ src, poster }: { src: string; poster: string | null }) {
  const { t } = useI18n()
  const videoRef = useRef<HTMLVideoElement>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    const video = videoRef.current
    if (!video) return
    let cancelled = false
    let destroy = () => {}
    setError(null)
    import('hls.js/light').then(
      ({ default: Hls }) => {
        if (cancelled) return
        if (Hls.isSupported()) {
          const hls = new Hls()
          hls.on(Hls.Events.ERROR, (_event, data) => {
            if (data.fatal) setError(`${data.type}: ${data.details}`)
          })
          hls.loadSource(src)
          hls.attachMedia(video)
          destroy = () => hls.destroy()
        } else if (video.canPlayType(HLS_MIME)) {
          video.src = src
          destroy = () => video.removeAttribute('src')
        } else {
          setError(t('video.hlsUnsupported'))
        }
      },
      (reason: unknown) => setError(t('video.playerLoadFailed', { reason: String(reason) })),
    )
    return () => {
      cancelled = true
      destroy()
    }
  }, [src, t])

  return (
    <div className="player">
      <video
        ref={videoRef}
        data-testid="video-player"
        controls
        playsInline
        poster={poster ?? undefined}
        onError={(event) => setError(event.currentTarget.error?.message || t('video.playbackFailed'))}
      />
      {error && (
        <div className="error" role="alert" data-testid="video-player-error">
          {error}
        </div>
      )}
    </div>
  )
}
