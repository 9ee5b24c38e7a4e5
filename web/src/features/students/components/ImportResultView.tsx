import { useI18n } from '@/lib/i18n'
import { asImportResult, type FailedRow } from '@/features/students/api/import-students'
import { toCsv } from '@/features/students/csv'

function downloadFailedRows(rows: readonly FailedRow[], header: readonly string[]): void {
  const csv = toCsv(header, rows.map((r) => [r.row, r.name, r.error]))
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }))
  const link = document.createElement('a')
  link.href = url
  link.download = 'failed-rows.csv'
  link.click()
  // Revoked on the next turn: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

/** Counts of an import and the rows it refused, with a CSV of those rows to fix and retry. */
export function ImportResultView({ result, dryRun }: { result: unknown; dryRun: boolean }) {
  const { t } = useI18n()
  const parsed = asImportResult(result)
  if (!parsed) {
    return <pre data-testid="import-raw-result">{JSON.stringify(result, null, 2)}</pre>
  }
  const header = [t('import.col.row'), t('import.col.name'), t('import.col.reason')]
  return (
    <div className="stack">
      {dryRun && <p className="warning">{t('import.dryRunNote')}</p>}
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
      {parsed.failed.length > 0 && (
        <>
          <table data-testid="failed-rows-table">
            <thead>
              <tr>
                {header.map((title) => (
                  <th key={title}>{title}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {parsed.failed.map((row, index) => (
                <tr key={`${row.row}-${index}`} data-testid="failed-row">
                  <td>{row.row}</td>
                  <td>{row.name}</td>
                  <td>{row.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" data-testid="download-failed-csv" onClick={() => downloadFailedRows(parsed.failed, header)}>
            {t('import.downloadFailed')}
          </button>
        </>
      )}
    </div>
  )
}
