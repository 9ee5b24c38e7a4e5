import { useInfiniteQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { JobOutcome } from '@/components/JobOutcome'
import { MessageResultView } from '@/components/job-results/MessageResult'
import { useI18n } from '@/lib/i18n'
import { rosterOptions } from '@/lib/students'
import { useLatestTask } from '@/lib/tasks/store'
import { useSendMessage } from '@/features/messages/api/send-message'
import { inClass, parseTargets } from '@/features/messages/recipients'

type Mode = 'students' | 'addresses'
const GRADES = ['', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const

/** Pick students by grade, class or name; the message goes to their parents' phones. */
function StudentPicker({ selected, onChange }: { selected: ReadonlySet<number>; onChange: (next: Set<number>) => void }) {
  const { t } = useI18n()
  const [grade, setGrade] = useState('')
  const [className, setClassName] = useState('')
  const [name, setName] = useState('')
  const roster = useInfiniteQuery(rosterOptions({ q: name.trim(), grade, deleted: 'false' }, 100))
  const shown = inClass(roster.data?.pages.flatMap((page) => page.results) ?? [], className)
  const allShown = shown.length > 0 && shown.every((student) => selected.has(student.id))
  const toggleAll = () => {
    const next = new Set(selected)
    for (const student of shown) {
      if (allShown) next.delete(student.id)
      else next.add(student.id)
    }
    onChange(next)
  }
  const toggle = (id: number) => {
    const next = new Set(selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    onChange(next)
  }
  return (
    <fieldset className="picker" data-testid="message-picker">
      <legend>{t('message.pickStudents')}</legend>
      <div className="filters">
        <label>
          {t('roster.grade')}
          <select data-testid="message-grade" value={grade} onChange={(e) => setGrade(e.target.value)}>
            {GRADES.map((value) => (
              <option key={value} value={value}>
                {value ? t('roster.gradeN', { n: value }) : t('filter.all')}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('message.class')}
          <input data-testid="message-class" value={className} onChange={(e) => setClassName(e.target.value)} />
        </label>
        <label>
          {t('message.name')}
          <input type="search" data-testid="message-name" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      </div>
      <ErrorMessage error={roster.error} testId="message-roster-error" />
      <label className="checkbox">
        <input type="checkbox" data-testid="message-select-all" checked={allShown} disabled={shown.length === 0} onChange={toggleAll} />
        {t('message.selectAll', { n: shown.length })}
      </label>
      <ul className="pick-list" data-testid="message-students">
        {shown.map((student) => (
          <li key={student.id}>
            <label className="checkbox">
              <input type="checkbox" data-testid="message-student" checked={selected.has(student.id)} onChange={() => toggle(student.id)} />
              {student.name}
              <span className="muted">
                {t('message.studentMeta', { grade: student.grade ?? '—', className: student.class_name || '—' })}
              </span>
            </label>
          </li>
        ))}
      </ul>
      <p className="muted" data-testid="message-selected-count" aria-live="polite">
        {t('message.selected', { n: selected.size })}
      </p>
    </fieldset>
  )
}

export function MessageForm() {
  const { t } = useI18n()
  const send = useSendMessage()
  const latest = useLatestTask('message')
  const [mode, setMode] = useState<Mode>('students')
  const [selected, setSelected] = useState<Set<number>>(new Set())
  const [addresses, setAddresses] = useState('')
  const [subject, setSubject] = useState('')
  const [body, setBody] = useState('')
  const [inputError, setInputError] = useState<string | null>(null)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    let target: { recipients: string[] } | { student_ids: number[] }
    if (mode === 'students') {
      if (selected.size === 0) {
        setInputError(t('message.noTargets'))
        return
      }
      target = { student_ids: [...selected] }
    } else {
      const parsed = parseTargets(addresses, 'recipients')
      if (!parsed.ok) {
        setInputError(t('message.noTargets'))
        return
      }
      target = parsed.payload
    }
    setInputError(null)
    send.mutate({ ...target, subject: subject.trim(), body })
  }

  return (
    <div className="stack">
      <form className="panel" onSubmit={submit} data-testid="message-form">
        <h2>{t('message.title')}</h2>
        <fieldset className="inline">
          <legend>{t('message.to')}</legend>
          <label className="checkbox">
            <input type="radio" name="mode" data-testid="message-mode-students" checked={mode === 'students'} onChange={() => setMode('students')} />
            {t('message.modeStudents')}
          </label>
          <label className="checkbox">
            <input type="radio" name="mode" data-testid="message-mode-recipients" checked={mode === 'addresses'} onChange={() => setMode('addresses')} />
            {t('message.modeRecipients')}
          </label>
        </fieldset>
        {mode === 'students' ? (
          <StudentPicker selected={selected} onChange={setSelected} />
        ) : (
          <label>
            {t('message.recipientsHelp')}
            <textarea data-testid="message-recipients" rows={4} value={addresses} onChange={(e) => setAddresses(e.target.value)} />
          </label>
        )}
        <label>
          {t('message.subject')}
          <input data-testid="message-subject" maxLength={200} value={subject} onChange={(e) => setSubject(e.target.value)} />
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
