import { useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'
import { JobOutcome } from '@/components/JobOutcome'
import { useLatestTask } from '@/lib/tasks/store'
import { asMessageResult, useSendMessage } from '@/features/messages/api/send-message'
import { parseTargets, type TargetMode } from '@/features/messages/recipients'

function MessageResultView({ result }: { result: unknown }) {
  const { t } = useI18n()
  const parsed = asMessageResult(result)
  if (!parsed) return <pre data-testid="message-raw-result">{JSON.stringify(result, null, 2)}</pre>
  return (
    <div className="stack">
      <p data-testid="message-summary">
        {t('message.summary', { sent: parsed.sent, failed: parsed.failed.length, total: parsed.total })}
      </p>
      {parsed.failed.length > 0 && (
        <table data-testid="message-failures-table">
          <thead>
            <tr>
              <th>{t('message.col.recipient')}</th>
              <th>{t('message.col.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {parsed.failed.map((failure, index) => (
              <tr key={`${failure.recipient}-${index}`}>
                <td>{failure.recipient}</td>
                <td>{failure.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

export function MessageForm() {
  const { t } = useI18n()
  const send = useSendMessage()
  const latest = useLatestTask('message')
  const [mode, setMode] = useState<TargetMode>('recipients')
  const [targets, setTargets] = useState('')
  const [body, setBody] = useState('')
  const [inputError, setInputError] = useState<string | null>(null)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    const parsed = parseTargets(targets, mode)
    if (!parsed.ok) {
      setInputError(
        parsed.error === 'empty' ? t('message.noTargets') : t('message.badStudentId', { value: parsed.value ?? '' }),
      )
      return
    }
    setInputError(null)
    send.mutate({ ...parsed.payload, body })
  }

  return (
    <div className="stack">
      <form className="panel" onSubmit={submit} data-testid="message-form">
        <h2>{t('message.title')}</h2>
        <fieldset className="inline">
          <legend>{t('message.to')}</legend>
          <label className="checkbox">
            <input
              type="radio"
              name="mode"
              data-testid="message-mode-recipients"
              checked={mode === 'recipients'}
              onChange={() => setMode('recipients')}
            />
            {t('message.modeRecipients')}
          </label>
          <label className="checkbox">
            <input
              type="radio"
              name="mode"
              data-testid="message-mode-students"
              checked={mode === 'student_ids'}
              onChange={() => setMode('student_ids')}
            />
            {t('message.modeStudents')}
          </label>
        </fieldset>
        <label>
          {mode === 'recipients' ? t('message.recipientsHelp') : t('message.studentsHelp')}
          <textarea data-testid="message-recipients" rows={4} value={targets} onChange={(e) => setTargets(e.target.value)} />
        </label>
        <label>
          {t('message.body')}
          <textarea data-testid="message-body" rows={5} required value={body} onChange={(e) => setBody(e.target.value)} />
        </label>
        {inputError && (
          <div className="error" role="alert" data-testid="message-input-error">
            {inputError}
          </div>
        )}
        <ErrorMessage error={send.error} />
        <button type="submit" data-testid="message-submit" disabled={send.isPending}>
          {t('message.submit')}
        </button>
      </form>
      {latest && (
        <JobOutcome key={latest.id} task={latest} testId="message-result">
          {(result) => <MessageResultView result={result} />}
        </JobOutcome>
      )}
    </div>
  )
}
