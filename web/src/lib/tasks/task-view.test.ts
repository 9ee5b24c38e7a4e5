import { describe, expect, it } from 'vitest'
import { estimateRemainingSeconds, jobView, videoView } from './task-view'

describe('videoView', () => {
  it('reads the encoding fields of the video progress answer', () => {
    const view = videoView({
      id: 12,
      status: 'PROCESSING',
      encoding_progress: 42,
      encoding_remaining_seconds: 31,
      encoding_step_index: 2,
      encoding_step_total: 4,
      encoding_step_name: 'transcode 720p',
      encoding_step_percent: 55,
    })
    expect(view).toEqual({
      status: 'PROCESSING',
      percent: 42,
      step: { index: 2, total: 4, name: 'transcode 720p', code: null, params: {}, percent: 55 },
      remainingSeconds: 31,
      error: null,
    })
  })

  it('shows a ready video as complete and a failed one with its reason', () => {
    expect(videoView({ id: 1, status: 'READY', encoding_progress: 97 }).percent).toBe(100)
    const failed = videoView({ id: 1, status: 'FAILED', encoding_progress: 30, error_reason: 'bad codec' })
    expect(failed).toMatchObject({ percent: 30, remainingSeconds: null, error: { code: null, params: {}, english: 'bad codec' } })
  })
})

describe('jobView', () => {
  const running = {
    job_id: 'a',
    job_type: 'excel_student_import',
    status: 'PROCESSING' as const,
    progress: { percent: 40, step_index: 2, step_total: 3, step_name_display: 'creating students', step_percent: 10 },
  }

  it('estimates the time left when the backend does not send it', () => {
    expect(jobView(running, 20_000).remainingSeconds).toBe(30)
    expect(jobView({ ...running, progress: { ...running.progress, remaining_seconds: 7 } }, 20_000).remainingSeconds).toBe(7)
  })

  it('copes with a pending job that has no progress object yet', () => {
    expect(jobView({ job_id: 'a', job_type: 'x', status: 'PENDING', progress: null }, 5_000)).toEqual({
      status: 'PENDING',
      percent: 0,
      step: null,
      remainingSeconds: null,
      error: null,
    })
  })
})

describe('estimateRemainingSeconds', () => {
  it('says nothing before there is a pace to extrapolate', () => {
    expect(estimateRemainingSeconds(60_000, 1)).toBeNull()
    expect(estimateRemainingSeconds(1_000, 50)).toBeNull()
    expect(estimateRemainingSeconds(10_000, 100)).toBeNull()
    expect(estimateRemainingSeconds(10_000, 50)).toBe(10)
  })
})
