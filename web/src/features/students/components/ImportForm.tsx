import { useRef, useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { JobOutcome } from '@/components/JobOutcome'
import { ImportResultView } from '@/components/job-results/ImportResult'
import { useI18n } from '@/lib/i18n'
import { useJobProgress } from '@/lib/tasks/api/get-job-progress'
import { useLatestTask, type TrackedTask } from '@/lib/tasks/store'
import { useImportStudents } from '@/features/students/api/import-students'
import { useTemplateDownload } from '@/features/students/api/roster'

/** After a preview that ended DONE: offer to import the same file for real. */
function CommitOffer({ task, onCommit, pending }: { task: TrackedTask; onCommit: () => void; pending: boolean }) {
  const { t } = useI18n()
  const progress = useJobProgress(task)
  if (progress.data?.status !== 'DONE') return null
  return (
    <div className="panel notice" data-testid="import-commit-offer">
      <p>{t('import.previewDone')}</p>
      <button type="button" data-testid="import-commit" disabled={pending} onClick={onCommit}>
        {t('import.commit')}
      </button>
    </div>
  )
}

/**
 * The roster import: check a file first (a dry run saves nothing and lists the rows it would
 * refuse), then import it; or import at once.
 */
export function ImportForm() {
  const { t } = useI18n()
  const importStudents = useImportStudents()
  const template = useTemplateDownload()
  const latest = useLatestTask('import')
  const [file, setFile] = useState<File | null>(null)
  const form = useRef<HTMLFormElement>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const lastWasPreview = importStudents.variables?.dryRun === true

  const start = (dryRun: boolean) => {
    if (!file) return
    importStudents.mutate(
      { file, dryRun },
      {
        onSuccess: () => {
          if (dryRun) return // the same file may be imported next
          setFile(null)
          if (fileInput.current) fileInput.current.value = ''
        },
      },
    )
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    start(false)
  }
  const preview = () => {
    if (form.current?.reportValidity()) start(true)
  }

  return (
    <div className="stack">
      <form ref={form} className="panel" onSubmit={submit} data-testid="import-form">
        <h2>{t('import.title')}</h2>
        <p className="muted">{t('import.help')}</p>
        <p>
          <button type="button" className="link" data-testid="import-template" onClick={() => template.mutate()}>
            {t('roster.template')}
          </button>
        </p>
        <ErrorMessage error={template.error} testId="import-template-error" />
        <label>
          {t('import.file')}
          <input
            ref={fileInput}
            data-testid="import-file"
            type="file"
            accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            required
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
        <ErrorMessage error={importStudents.error} />
        <div className="actions">
          <button type="button" data-testid="import-preview" disabled={importStudents.isPending || !file} onClick={preview}>
            {t('import.preview')}
          </button>
          <button type="submit" data-testid="import-submit" disabled={importStudents.isPending || !file}>
            {t('import.submit')}
          </button>
        </div>
      </form>
      {latest && lastWasPreview && file && (
        <CommitOffer key={latest.id} task={latest} pending={importStudents.isPending} onCommit={() => start(false)} />
      )}
      {latest && (
        <JobOutcome key={latest.id} task={latest} testId="import-result">
          {(result) => <ImportResultView result={result} dryRun={lastWasPreview} />}
        </JobOutcome>
      )}
    </div>
  )
}
