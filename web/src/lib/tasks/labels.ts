import type { MessageKey, Translate } from '@/lib/i18n'

const STATUS_KEYS: Record<string, MessageKey> = {
  PENDING: 'status.PENDING',
  PROCESSING: 'status.PROCESSING',
  READY: 'status.READY',
  DONE: 'status.DONE',
  FAILED: 'status.FAILED',
  UNKNOWN: 'status.UNKNOWN',
}

/** The status in the reader's language; a status we do not know is shown as sent. */
export function statusLabel(status: string, t: Translate): string {
  const key = STATUS_KEYS[status]
  return key ? t(key) : status
}

const JOB_TYPE_KEYS: Record<string, MessageKey> = {
  excel_student_import: 'jobType.excel_student_import',
  short_answer_grading: 'jobType.short_answer_grading',
}

export function jobTypeLabel(jobType: string, t: Translate): string {
  const key = JOB_TYPE_KEYS[jobType]
  return key ? t(key) : jobType
}

/** "about 31 s left", "about 3 min left", "about 2 h 5 min left" (or Korean). */
export function remainingText(seconds: number, t: Translate): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return t('eta.seconds', { n: s })
  const minutes = Math.round(s / 60)
  if (minutes < 60) return t('eta.minutes', { n: minutes })
  return t('eta.hours', { h: Math.floor(minutes / 60), m: minutes % 60 })
}
