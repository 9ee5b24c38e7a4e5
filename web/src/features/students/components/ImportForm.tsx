import { useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'
import { JobOutcome } from '@/components/JobOutcome'
import { useLatestTask } from '@/lib/tasks/store'
import { useImportStudents } from '@/features/students/api/import-students'
import { ImportResultView } from './ImportResultView'

export function ImportForm() {
  const { t } = useI18n()
  const importStudents = useImportStudents()
  const latest = useLatestTask('import')
  const [file, setFile] = useState<File | null>(null)
  const [password, setPassword] = useState('')
  const [dryRun, setDryRun] = useState(false)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (file) importStudents.mutate({ file, initialPassword: password, dryRun })
  }

  return (
    <div className="stack">
      <form className="panel" onSubmit={submit} data-testid="import-form">
        <h2>{t('import.title')}</h2>
        <p className="muted">{t('import.help')}</p>
        <label>
          {t('import.file')}
          <input
            data-testid="import-file"
            type="file"
            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            required
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
        <label>
          {t('import.password')}
          <input
            data-testid="import-password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <label className="checkbox">
          <input
            data-testid="import-dry-run"
            type="checkbox"
            checked={dryRun}
            onChange={(e) => setDryRun(e.target.checked)}
          />
          {t('import.dryRun')}
        </label>
        <ErrorMessage error={importStudents.error} />
        <button type="submit" data-testid="import-submit" disabled={importStudents.isPending || !file}>
          {t('import.submit')}
        </button>
      </form>
      {latest && (
        <JobOutcome key={latest.id} task={latest} testId="import-result">
          {(result) => <ImportResultView result={result} dryRun={importStudents.variables?.dryRun ?? false} />}
        </JobOutcome>
      )}
    </div>
  )
}
