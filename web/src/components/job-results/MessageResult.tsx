import { useI18n } from '@/lib/i18n'
import { failureText } from '@/lib/tasks/labels'
import { DataTable } from './DataTable'

/** The message job's `result`. */
export type MessageResult = {
  sent: number
  failed: { recipient: string; error: string; code?: string | null; params?: Record<string, unknown> | null }[]
  total: number
}

export function asMessageResult(result: unknown): MessageResult | null {
  if (typeof result !== 'object' || result === null) return null
  const r = result as Partial<MessageResult>
  if (typeof r.sent !== 'number' || typeof r.total !== 'number' || !Array.isArray(r.failed)) return null
  return r as MessageResult
}

export function MessageResultView({ result }: { result: unknown }) {
  const { t, lang } = useI18n()
  const parsed = asMessageResult(result)
  if (!parsed) return <p data-testid="message-raw-result">{t('result.unreadable')}</p>
  return (
    <div className="stack">
      <p data-testid="message-summary">
        {t('message.summary', { sent: parsed.sent, failed: parsed.failed.length, total: parsed.total })}
      </p>
      {parsed.failed.length > 0 && (
        <DataTable
          caption={t('message.failedCaption')}
          columns={['message.col.recipient', 'message.col.reason']}
          rows={parsed.failed.map((f) => [f.recipient, failureText({ code: f.code, params: f.params, english: f.error, fallback: 'message.notSent' }, lang, t)])}
          testId="message-failures-table"
        />
      )}
    </div>
  )
}
