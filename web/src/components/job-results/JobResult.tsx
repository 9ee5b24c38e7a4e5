import { useI18n } from '@/lib/i18n'
import { GradingResultView } from './GradingResult'
import { ImportResultView } from './ImportResult'
import { MessageResultView } from './MessageResult'

/** A finished job's result, drawn for its type. */
export function JobResult({ jobType, result }: { jobType: string; result: unknown }) {
  const { t } = useI18n()
  switch (jobType) {
    case 'excel_student_import':
      return <ImportResultView result={result} dryRun={false} />
    case 'message_send':
      return <MessageResultView result={result} />
    case 'short_answer_grading':
      return <GradingResultView result={result} />
    default:
      return <p>{t('result.unreadable')}</p>
  }
}
