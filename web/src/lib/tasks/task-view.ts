/**
 * What a task row shows, from either kind's progress answer. Pure.
 */
import { isTerminal } from './status'
import type { JobProgress, VideoProgress } from './types'

export type TaskView = {
  status: string
  /** 0-100 */
  percent: number
  step: {
    index: number | null
    total: number | null
    name: string
    code: string | null
    params: Record<string, unknown>
    percent: number | null
  } | null
  remainingSeconds: number | null
  /** Why it failed: the server's code and params (localised by failureText), its English text. */
  error: { code: string | null; params: Record<string, unknown>; english: string | null } | null
}

const clampPercent = (value: number | null | undefined) =>
  Math.min(100, Math.max(0, Math.round(value ?? 0)))

function finishedPercent(status: string, percent: number): number {
  return status === 'READY' || status === 'DONE' ? 100 : percent
}

export function videoView(progress: VideoProgress): TaskView {
  const percent = finishedPercent(progress.status, clampPercent(progress.encoding_progress))
  return {
    status: progress.status,
    percent,
    step: progress.encoding_step_name
      ? {
          index: progress.encoding_step_index ?? null,
          total: progress.encoding_step_total ?? null,
          name: progress.encoding_step_name,
          code: progress.encoding_step_code ?? null,
          params: progress.encoding_step_params ?? {},
          percent: progress.encoding_step_percent ?? null,
        }
      : null,
    remainingSeconds: isTerminal(progress.status) ? null : (progress.encoding_remaining_seconds ?? null),
    error:
      progress.status === 'FAILED'
        ? { code: progress.error_code ?? null, params: progress.error_params ?? {}, english: progress.error_reason ?? null }
        : null,
  }
}

/**
 * Estimate the seconds left from the time spent so far and the percent done, assuming a
 * steady pace. Null while too little is done to say anything useful.
 */
export function estimateRemainingSeconds(elapsedMs: number, percent: number): number | null {
  if (percent < 3 || percent >= 100 || elapsedMs < 2_000) return null
  return Math.round(((elapsedMs / 1000) * (100 - percent)) / percent)
}

export function jobView(progress: JobProgress, elapsedMs: number): TaskView {
  const detail = progress.progress ?? {}
  const percent = finishedPercent(progress.status, clampPercent(detail.percent))
  const remaining = isTerminal(progress.status)
    ? null
    : (detail.remaining_seconds ?? estimateRemainingSeconds(elapsedMs, percent))
  return {
    status: progress.status,
    percent,
    step: detail.step_name_display
      ? {
          index: detail.step_index ?? null,
          total: detail.step_total ?? null,
          name: detail.step_name_display,
          code: detail.step_code ?? null,
          params: detail.step_params ?? {},
          percent: detail.step_percent ?? null,
        }
      : null,
    remainingSeconds: remaining,
    error:
      progress.status === 'FAILED'
        ? { code: progress.error_code ?? null, params: progress.error_params ?? {}, english: progress.error_message ?? null }
        : null,
  }
}
