import { useI18n, type MessageKey } from '@/lib/i18n'
import { DataTable } from './DataTable'
import { gradingTables, type GradingTable } from './grading-tables'

const CAPTIONS: Record<GradingTable['id'], MessageKey> = {
  students: 'grading.students',
  questions: 'grading.questions',
  duplicates: 'grading.duplicates',
  warnings: 'grading.warnings',
}

const EMPTY: Record<GradingTable['id'], MessageKey> = {
  students: 'grading.noStudents',
  questions: 'grading.noQuestions',
  duplicates: 'grading.noDuplicates',
  warnings: 'grading.noWarnings',
}

/** The grading result as tables (students, questions, duplicates, warnings), each as CSV too. */
export function GradingResultView({ result }: { result: unknown }) {
  const { t } = useI18n()
  const grading = gradingTables(result)
  if (!grading) return <p data-testid="ai-raw-result">{t('result.unreadable')}</p>
  const { summary } = grading
  return (
    <div className="stack" data-testid="ai-result-tables">
      {summary && (
        <p data-testid="ai-summary">
          {t('grading.summary', {
            submissions: summary.submissions,
            questions: summary.questions,
            mean: summary.mean_total ?? '-',
            max: summary.max_total,
            copies: summary.possible_copies,
          })}
        </p>
      )}
      {grading.tables.map((table) =>
        table.rows.length > 0 ? (
          <DataTable
            key={table.id}
            caption={t(CAPTIONS[table.id])}
            columns={table.columns}
            rows={table.rows}
            testId={`ai-table-${table.id}`}
            csvName={`grading-${table.id}.csv`}
          />
        ) : (
          <p key={table.id} className="muted" data-testid={`ai-table-${table.id}-empty`}>
            {t(EMPTY[table.id])}
          </p>
        ),
      )}
    </div>
  )
}
