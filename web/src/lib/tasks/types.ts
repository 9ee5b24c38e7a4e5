/** The two kinds of long task the backend runs, each with a progress and a detail endpoint. */
export type TaskKind = 'video' | 'job'

export type VideoStatus = 'PENDING' | 'PROCESSING' | 'READY' | 'FAILED' | 'CANCELLED'
export type JobStatus = 'PENDING' | 'PROCESSING' | 'DONE' | 'FAILED' | 'CANCELLED'
export type TaskStatus = VideoStatus | JobStatus

/** Enough to poll a task: which endpoint, and since when (for the polling pace). */
export type TaskRef = {
  kind: TaskKind
  id: string
  /** Epoch milliseconds when the task started. */
  startedAt: number
}

/** `GET /media/videos/{id}/progress/` (Redis only). */
export type VideoProgress = {
  id: number | string
  status: VideoStatus
  encoding_progress?: number | null
  encoding_remaining_seconds?: number | null
  encoding_step_index?: number | null
  encoding_step_total?: number | null
  encoding_step_name?: string | null
  encoding_step_percent?: number | null
  /** The step's stable code and params (the name is English, for people). */
  encoding_step_code?: string | null
  encoding_step_params?: Record<string, unknown> | null
  hls_path?: string | null
  duration?: number | null
  error_reason?: string | null
  error_code?: string | null
  error_params?: Record<string, unknown> | null
}

/** `GET /api/v1/jobs/{job_id}/progress/` (Redis only). */
export type JobProgress = {
  job_id: string
  job_type: string
  status: JobStatus
  progress?: {
    percent?: number | null
    step_index?: number | null
    step_total?: number | null
    step_name_display?: string | null
    step_percent?: number | null
    step_code?: string | null
    step_params?: Record<string, unknown> | null
    /** The worker's estimate; null until it has one, when the app estimates it itself. */
    remaining_seconds?: number | null
  } | null
  result?: unknown
  error_message?: string | null
  error_code?: string | null
  error_params?: Record<string, unknown> | null
  title?: string | null
  title_params?: Record<string, unknown> | null
}

/** `GET /media/videos/{id}/` (database). */
export type VideoDetail = {
  id: number | string
  title: string
  status: VideoStatus
  hls_path: string | null
  duration: number | null
  error_reason: string | null
  error_code?: string | null
  error_params?: Record<string, unknown> | null
  created_at: string
  updated_at: string
  /** Signed URL of the HLS master playlist; null until READY. */
  playback_url: string | null
  poster_url: string | null
}

/** `GET /api/v1/jobs/{job_id}/` (database). */
export type JobDetail = {
  job_id: string
  job_type: string
  status: JobStatus
  result: unknown
  error_message: string | null
  error_code?: string | null
  error_params?: Record<string, unknown> | null
  title?: string | null
  title_params?: Record<string, unknown> | null
  created_at: string
  updated_at: string
}

/** A page of a cursor-paginated list: `next` is the URL of the following page. */
export type Page<T> = { results: T[]; next: string | null }

/** `GET /media/videos/`: a video of the library; `live` is its progress while it encodes. */
export type VideoListItem = VideoDetail & {
  started_at?: string | null
  finished_at?: string | null
  live?: VideoProgress | null
}

/** `GET /api/v1/jobs/`: a job of the history. */
export type JobListItem = {
  job_id: string
  job_type: string
  title?: string | null
  title_params?: Record<string, unknown> | null
  status: JobStatus
  attempt?: number
  created_by?: { id: number; username: string } | null
  created_at: string
  started_at?: string | null
  finished_at?: string | null
  duration_seconds?: number | null
  error_message?: string | null
  error_code?: string | null
  error_params?: Record<string, unknown> | null
  live?: JobProgress | null
}
