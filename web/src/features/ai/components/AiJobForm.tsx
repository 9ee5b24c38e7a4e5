import { useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n, type Translate } from '@/lib/i18n'
import { JobOutcome } from '@/components/JobOutcome'
import { useLatestTask } from '@/lib/tasks/store'
import { useCreateAiJob } from '@/features/ai/api/create-ai-job'
import { parseGradingInput, type Problem } from '@/features/ai/grading-input'
import { GradingResultView } from '@/components/job-results/GradingResult'

const KEY_EXAMPLE = '1 + 1 = ? | 2\nCapital of Korea? | Seoul'
const SUBMISSIONS_EXAMPLE = 'Kim Minsu: 2 | Seoul\nLee Jiwoo: 3 | Busan'

function problemText(problem: Problem, t: Translate): string {
  switch (problem.kind) {
    case 'json':
      return t('ai.problem.json', {
        field: t(problem.field === 'answerKey' ? 'ai.answerKey' : 'ai.submissions'),
        message: problem.message,
      })
    case 'keyLine':
      return t('ai.problem.keyLine', { line: problem.line })
    case 'submissionLine':
      return t('ai.problem.submissionLine', { line: problem.line })
    case 'empty':
      return t('ai.problem.empty', { field: t(problem.field === 'answerKey' ? 'ai.answerKey' : 'ai.submissions') })
    case 'answerCount':
      return t('ai.problem.answerCount', { student: problem.student, expected: problem.expected, got: problem.got })
  }
}

export function AiJobForm() {
  const { t } = useI18n()
  const create = useCreateAiJob()
  const latest = useLatestTask('ai')
  const [answerKey, setAnswerKey] = useState('')
  const [submissions, setSubmissions] = useState('')
  const [problem, setProblem] = useState<Problem | null>(null)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    const parsed = parseGradingInput(answerKey, submissions)
    if (!parsed.ok) {
      setProblem(parsed.problem)
      return
    }
    setProblem(null)
    create.mutate({ job_type: 'short_answer_grading', payload: parsed.value })
  }

  return (
    <div className="stack">
      <form className="panel" onSubmit={submit} data-testid="ai-form">
        <h2>{t('ai.title')}</h2>
        <p className="muted">{t('ai.help')}</p>
        <label>
          {t('ai.answerKey')}
          <textarea
            data-testid="ai-answer-key"
            rows={5}
            placeholder={KEY_EXAMPLE}
            value={answerKey}
            onChange={(e) => setAnswerKey(e.target.value)}
          />
        </label>
        <label>
          {t('ai.submissions')}
          <textarea
            data-testid="ai-submissions"
            rows={6}
            placeholder={SUBMISSIONS_EXAMPLE}
            value={submissions}
            onChange={(e) => setSubmissions(e.target.value)}
          />
        </label>
        {problem && (
          <div className="error" role="alert" data-testid="ai-input-error">
            {problemText(problem, t)}
          </div>
        )}
        <ErrorMessage error={create.error} />
        <button type="submit" data-testid="ai-submit" disabled={create.isPending}>
          {t('ai.submit')}
        </button>
      </form>
      {latest && (
        <JobOutcome key={latest.id} task={latest} testId="ai-result">
          {(result) => <GradingResultView result={result} />}
        </JobOutcome>
      )}
    </div>
  )
}
