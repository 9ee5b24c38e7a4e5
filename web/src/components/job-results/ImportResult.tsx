import { useI18n } from '@/lib/i18n'
import { failureText } from '@/lib/tasks/labels'
import { DataTable } from './DataTable'

/** One refused row; `code`/`params` say why in any language, `error` is the English text. */
export type FailedRow = { row: number; name: string; error: string; code?: string | null; params?: Record<string, unknown> | null }

/** A new student's account; its one-time activation code is handed out by staff. */
export type NewAccount = { row: number; name: string; username: string; ps_number: string; activation_code: string }

/** The Excel import job's `result`, as the job detail endpoint returns it. */
export type ImportResult = {
  created: number
  restored: number
  skipped_existing: number
  failed: FailedRow[]
  total: number
  dry_run?: boolean
  accounts?: NewAccount[]
}

/** Narrow an unknown job result to the import's shape, or null if it is something else. */
export function asImportResult(result: unknown): ImportResult | null {
  if (typeof result !== 'object' || result === null) return null
  const r = result as Partial<ImportResult>
  const counts = [r.created, r.restored, r.skipped_existing, r.total]
  if (!counts.every((n) => typeof n === 'number') || !Array.isArray(r.failed)) return null
  return r as ImportResult
}

/** Counts of an import and the rows it refused, with a CSV of those rows to fix and retry. */
export function ImportResultView({ result, dryRun }: { result: unknown; dryRun: boolean }) {
  const { t, lang } = useI18n()
  const parsed = asImportResult(result)
  if (!parsed) return <p data-testid="import-raw-result">{t('result.unreadable')}</p>
  const rows = parsed.failed.map((row) => [
    row.row,
    row.name,
    failureText({ code: row.code, params: row.params, english: row.error, fallback: 'import.rowRefused' }, lang, t),
  ])
  return (
    <div className="stack">
      {(dryRun || parsed.dry_run) && <p className="warning">{t('import.dryRunNote')}</p>}
      <dl className="facts" data-testid="import-counts">
        <dt>{t('import.created')}</dt>
        <dd data-testid="import-created">{parsed.created}</dd>
        <dt>{t('import.restored')}</dt>
        <dd data-testid="import-restored">{parsed.restored}</dd>
        <dt>{t('import.skipped')}</dt>
        <dd data-testid="import-skipped">{parsed.skipped_existing}</dd>
        <dt>{t('import.failedCount')}</dt>
        <dd data-testid="import-failed-count">{parsed.failed.length}</dd>
        <dt>{t('import.total')}</dt>
        <dd data-testid="import-total">{parsed.total}</dd>
      </dl>
      {(parsed.accounts ?? []).length > 0 && (
        <DataTable
          caption={t('import.accountsCaption')}
          columns={['import.col.row', 'import.col.name', 'import.col.username', 'import.col.code']}
          rows={(parsed.accounts ?? []).map((a) => [a.row, a.name, a.username, a.activation_code])}
          testId="accounts-table"
          rowTestId="account-row"
          csvName="activation-codes.csv"
        />
      )}
      {rows.length > 0 && (
        <DataTable
          caption={t('import.failedCaption')}
          columns={['import.col.row', 'import.col.name', 'import.col.reason']}
          rows={rows}
          testId="failed-rows-table"
          rowTestId="failed-row"
          csvName="failed-rows.csv"
        />
      )}
    </div>
  )
}
