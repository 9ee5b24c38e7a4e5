import { useState } from 'react'
import { CursorListBody } from '@/components/CursorListBody'
import { ErrorMessage } from '@/components/ErrorMessage'
import { formatDateTime } from '@/lib/format'
import { useI18n } from '@/lib/i18n'
import type { RosterFilters, Student } from '@/lib/students'
import { useRoster, useStudentAction, useTemplateDownload } from '@/features/students/api/roster'

const GRADES = ['', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const

function StudentRow({ student }: { student: Student }) {
  const { t, lang } = useI18n()
  const action = useStudentAction()
  const deleted = Boolean(student.deleted_at)
  return (
    <tr data-testid="roster-row" data-student-id={student.id} data-deleted={deleted}>
      <td data-testid="roster-name">{student.name}</td>
      <td>{student.grade ?? '—'}</td>
      <td>{student.class_name || '—'}</td>
      <td>{student.school || '—'}</td>
      <td>{student.parent_phone}</td>
      <td>{deleted ? t('roster.deletedOn', { when: formatDateTime(student.deleted_at, lang) }) : t('roster.active')}</td>
      <td>
        {deleted ? (
          <button type="button" data-testid="roster-restore" disabled={action.isPending} onClick={() => action.mutate({ id: student.id, action: 'restore' })}>
            {t('roster.restore')}
            <span className="sr-only">: {student.name}</span>
          </button>
        ) : (
          <button
            type="button"
            className="danger"
            data-testid="roster-delete"
            disabled={action.isPending}
            onClick={() => {
              if (window.confirm(t('roster.confirmDelete', { name: student.name }))) action.mutate({ id: student.id, action: 'delete' })
            }}
          >
            {t('roster.delete')}
            <span className="sr-only">: {student.name}</span>
          </button>
        )}
        <ErrorMessage error={action.error} testId="roster-action-error" />
      </td>
    </tr>
  )
}

/** The roster: search by name or phone, filter by grade, see and restore the soft-deleted. */
export function RosterPage() {
  const { t } = useI18n()
  const [filters, setFilters] = useState<RosterFilters>({ q: '', grade: '', deleted: 'false' })
  const roster = useRoster(filters)
  const template = useTemplateDownload()
  const students = roster.data?.pages.flatMap((page) => page.results) ?? []
  return (
    <section className="panel" data-testid="roster-page" aria-labelledby="roster-heading">
      <div className="panel-head">
        <h2 id="roster-heading">{t('roster.title')}</h2>
        <div className="actions">
          <a className="button" href="#/import" data-testid="roster-import">
            {t('nav.import')}
          </a>
          <button type="button" data-testid="roster-template" onClick={() => template.mutate()} disabled={template.isPending}>
            {t('roster.template')}
          </button>
        </div>
      </div>
      <ErrorMessage error={template.error} testId="roster-template-error" />
      <div className="filters" role="search">
        <label>
          {t('roster.search')}
          <input type="search" data-testid="roster-search" value={filters.q} onChange={(e) => setFilters({ ...filters, q: e.target.value })} />
        </label>
        <label>
          {t('roster.grade')}
          <select data-testid="roster-grade" value={filters.grade} onChange={(e) => setFilters({ ...filters, grade: e.target.value })}>
            {GRADES.map((grade) => (
              <option key={grade} value={grade}>
                {grade ? t('roster.gradeN', { n: grade }) : t('filter.all')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('roster.show')}
          <select
            data-testid="roster-deleted"
            value={filters.deleted}
            onChange={(e) => setFilters({ ...filters, deleted: e.target.value as RosterFilters['deleted'] })}
          >
            <option value="false">{t('roster.showActive')}</option>
            <option value="true">{t('roster.showDeleted')}</option>
            <option value="all">{t('filter.all')}</option>
          </select>
        </label>
      </div>
      <CursorListBody query={roster} isEmpty={students.length === 0} emptyText={t('roster.empty')} testId="roster">
        <div className="table-scroll">
          <table data-testid="roster-table">
            <caption className="sr-only">{t('roster.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('roster.col.name')}</th>
                <th scope="col">{t('roster.col.grade')}</th>
                <th scope="col">{t('roster.col.class')}</th>
                <th scope="col">{t('roster.col.school')}</th>
                <th scope="col">{t('roster.col.parentPhone')}</th>
                <th scope="col">{t('roster.col.state')}</th>
                <th scope="col">{t('roster.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {students.map((student) => (
                <StudentRow key={student.id} student={student} />
              ))}
            </tbody>
          </table>
        </div>
      </CursorListBody>
    </section>
  )
}
