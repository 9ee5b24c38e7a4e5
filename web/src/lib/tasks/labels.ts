import type { Lang, MessageKey, Translate } from '@/lib/i18n'
import { serverText, type ServerParams } from '@/lib/i18n/server'

const STATUS_KEYS: Record<string, MessageKey> = {
  PENDING: 'status.PENDING',
  PROCESSING: 'status.PROCESSING',
  READY: 'status.READY',
  DONE: 'status.DONE',
  FAILED: 'status.FAILED',
  CANCELLED: 'status.CANCELLED',
  UNKNOWN: 'status.UNKNOWN',
}

/** The status in the reader's language; a status we do not know reads as "checking". */
export function statusLabel(status: string, t: Translate): string {
  return t(STATUS_KEYS[status] ?? 'status.UNKNOWN')
}

const JOB_TYPE_KEYS: Record<string, MessageKey> = {
  excel_student_import: 'jobType.excel_student_import',
  short_answer_grading: 'jobType.short_answer_grading',
  message_send: 'jobType.message_send',
}

export function jobTypeLabel(jobType: string, t: Translate): string {
  return t(JOB_TYPE_KEYS[jobType] ?? 'jobType.other')
}

type Titled = { job_type: string; title_params?: ServerParams | null }

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim() : null)
const count = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)

/**
 * A job's title in the reader's language, from its type and the server's `title_params`
 * (the file name, the message subject, the numbers): never its UUID, never English in Korean.
 */
export function jobTitle(job: Titled, t: Translate): string {
  const params = job.title_params ?? {}
  switch (job.job_type) {
    case 'excel_student_import': {
      const filename = text(params.filename)
      const base = filename ? t('jobTitle.import', { filename }) : t('jobType.excel_student_import')
      return params.dry_run === true ? `${base} ${t('jobTitle.dryRun')}` : base
    }
    case 'message_send': {
      const subject = text(params.text)
      const recipients = count(params.recipients)
      if (subject && recipients !== null) return t('jobTitle.message', { text: subject, recipients })
      return subject ? `${t('jobType.message_send')}: ${subject}` : t('jobType.message_send')
    }
    case 'short_answer_grading': {
      const submissions = count(params.submissions)
      const questions = count(params.questions)
      if (submissions !== null && questions !== null) return t('jobTitle.grading', { submissions, questions })
      return t('jobType.short_answer_grading')
    }
    default:
      return jobTypeLabel(job.job_type, t)
  }
}

type Failure = {
  /** What to say when the server sent no code (an import row: "this row was not imported"). */
  fallback?: MessageKey
  code?: string | null
  params?: ServerParams | null
  /** The server's English text, shown only in English and only when the code is unknown. */
  english?: string | null
}

/** Why a task failed, in the reader's language. */
export function failureText({ code, params, english, fallback }: Failure, lang: Lang, t: Translate): string {
  // In English the server's own sentence is the most exact; other languages render the code.
  if (lang === 'en' && english) return english
  if (!code) return t(fallback ?? 'task.failedNoReason')
  return serverText(lang, code, params ?? {}, english)
}

/** "about 31 s left", "about 3 min left", "about 2 h 5 min left" (or Korean). */
export function remainingText(seconds: number, t: Translate): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return t('eta.seconds', { n: s })
  const minutes = Math.round(s / 60)
  if (minutes < 60) return t('eta.minutes', { n: minutes })
  return t('eta.hours', { h: Math.floor(minutes / 60), m: minutes % 60 })
}
