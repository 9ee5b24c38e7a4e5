import { ApiError } from '@/lib/api-client'
import { useI18n, type Translate } from '@/lib/i18n'

/** The lines to show for a failed call: the server's detail and field errors when it sent any. */
export function describeError(error: unknown, t: Translate): string[] {
  if (!(error instanceof ApiError)) {
    return [error instanceof Error ? error.message : String(error)]
  }
  if (error.status === null) return [t('error.network')]
  const lines: string[] = []
  if (error.detail) lines.push(error.detail)
  for (const [field, messages] of Object.entries(error.fieldErrors)) {
    const prefix = field === 'non_field_errors' ? '' : `${field}: `
    messages.forEach((message) => lines.push(prefix + message))
  }
  if (lines.length === 0) lines.push(t('error.http', { status: error.status }))
  return lines
}

export function ErrorMessage({ error, testId = 'form-error' }: { error: unknown; testId?: string }) {
  const { t } = useI18n()
  if (!error) return null
  const lines = describeError(error, t)
  return (
    <div className="error" role="alert" data-testid={testId}>
      {lines.map((line, index) => (
        <div key={index}>{line}</div>
      ))}
    </div>
  )
}
