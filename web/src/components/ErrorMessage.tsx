import { ApiError } from '@/lib/api-client'
import { useI18n, type Lang, type Translate } from '@/lib/i18n'
import { fieldErrorText, serverText } from '@/lib/i18n/server'

/**
 * The lines to show for a failed call, in the reader's language: the error code's text and,
 * for a validation error, one line per field. Never the server's raw keys or JSON.
 */
export function describeError(error: unknown, t: Translate, lang: Lang): string[] {
  if (!(error instanceof ApiError)) {
    return [lang === 'en' && error instanceof Error ? error.message : t('error.unexpected')]
  }
  if (error.status === null) return [t('error.network')]
  const fields = Object.entries(error.fieldErrors).flatMap(([field, errors]) =>
    errors.map((fieldError) => fieldErrorText(lang, field, fieldError.code, fieldError.message)),
  )
  // A validation error says it all in its fields; another code has its own text.
  if (error.code === 'invalid' && fields.length > 0) return fields
  if (error.code) return [serverText(lang, error.code, error.params, error.detail)]
  if (fields.length > 0) return fields
  if (error.detail && lang === 'en') return [error.detail]
  return [t('error.http', { status: error.status })]
}

export function ErrorMessage({ error, testId = 'form-error' }: { error: unknown; testId?: string }) {
  const { t, lang } = useI18n()
  if (!error) return null
  const lines = describeError(error, t, lang)
  return (
    <div className="error" role="alert" data-testid={testId}>
      {lines.map((line, index) => (
        <div key={index}>{line}</div>
      ))}
    </div>
  )
}
