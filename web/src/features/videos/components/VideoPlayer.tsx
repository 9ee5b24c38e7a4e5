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
  // The player is built once per source: switching the language must not rebuild it (that
  // stopped playback and rewound to 0:00), so the effect reads the translator through a ref.
  const tRef = useRef(t)
  useEffect(() => {
    tRef.current = t
  }, [t])

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
            if (data.fatal) setError(tRef.current('video.playbackFailed'))
          })
          hls.loadSource(src)
          hls.attachMedia(video)
          destroy = () => hls.destroy()
        } else if (video.canPlayType(HLS_MIME)) {
          video.src = src
          destroy = () => video.removeAttribute('src')
        } else {
          setError(tRef.current('video.hlsUnsupported'))
        }
      },
      (reason: unknown) => setError(tRef.current('video.playerLoadFailed', { reason: String(reason) })),
    )
    return () => {
      cancelled = true
      destroy()
    }
  }, [src])

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
