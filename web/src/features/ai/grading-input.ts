/**
 * Read the short-answer grading input a teacher pastes, pure. Either JSON, as the API takes
 * it, or one item per line:
 *
 *   answer key    question | answer
 *   submissions   student: answer 1 | answer 2 | ...
 *
 * (An answer that contains "|" needs the JSON form.)
 */
export type KeyItem = { question: string; answer: string }
export type Submission = { student: string; answers: string[] }
export type GradingPayload = { answer_key: KeyItem[]; submissions: Submission[] }

export type Problem =
  | { kind: 'json'; field: 'answerKey' | 'submissions'; message: string }
  | { kind: 'keyLine'; line: number }
  | { kind: 'submissionLine'; line: number }
  | { kind: 'empty'; field: 'answerKey' | 'submissions' }
  | { kind: 'answerCount'; student: string; expected: number; got: number }

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: Problem }

const looksLikeJson = (text: string) => /^[[{]/.test(text.trim())

function lines(text: string): { line: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((content, index) => ({ line: index + 1, text: content.trim() }))
    .filter((entry) => entry.text !== '')
}

function parseJson(text: string, field: 'answerKey' | 'submissions'): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return { ok: false, problem: { kind: 'json', field, message: (error as Error).message } }
  }
}

export function parseAnswerKey(text: string): Parsed<KeyItem[]> {
  if (looksLikeJson(text)) {
    const parsed = parseJson(text, 'answerKey')
    if (!parsed.ok) return parsed
    const items = parsed.value
    const valid =
      Array.isArray(items) &&
      items.every((item) => typeof item?.question === 'string' && typeof item?.answer === 'string')
    if (!valid) return { ok: false, problem: { kind: 'json', field: 'answerKey', message: '[{"question", "answer"}]' } }
    return items.length > 0 ? { ok: true, value: items as KeyItem[] } : { ok: false, problem: { kind: 'empty', field: 'answerKey' } }
  }
  const items: KeyItem[] = []
  for (const { line, text: content } of lines(text)) {
    const bar = content.indexOf('|')
    const question = content.slice(0, bar).trim()
    const answer = content.slice(bar + 1).trim()
    if (bar < 0 || !question || !answer) return { ok: false, problem: { kind: 'keyLine', line } }
    items.push({ question, answer })
  }
  return items.length > 0 ? { ok: true, value: items } : { ok: false, problem: { kind: 'empty', field: 'answerKey' } }
}

export function parseSubmissions(text: string): Parsed<Submission[]> {
  if (looksLikeJson(text)) {
    const parsed = parseJson(text, 'submissions')
    if (!parsed.ok) return parsed
    const items = parsed.value
    const valid =
      Array.isArray(items) &&
      items.every(
        (item) =>
          typeof item?.student === 'string' &&
          Array.isArray(item?.answers) &&
          item.answers.every((answer: unknown) => typeof answer === 'string'),
      )
    if (!valid) return { ok: false, problem: { kind: 'json', field: 'submissions', message: '[{"student", "answers": [...]}]' } }
    return items.length > 0 ? { ok: true, value: items as Submission[] } : { ok: false, problem: { kind: 'empty', field: 'submissions' } }
  }
  const items: Submission[] = []
  for (const { line, text: content } of lines(text)) {
    const colon = content.indexOf(':')
    const student = content.slice(0, colon).trim()
    if (colon < 0 || !student) return { ok: false, problem: { kind: 'submissionLine', line } }
    items.push({ student, answers: content.slice(colon + 1).split('|').map((answer) => answer.trim()) })
  }
  return items.length > 0 ? { ok: true, value: items } : { ok: false, problem: { kind: 'empty', field: 'submissions' } }
}

/** Both boxes together; every student must answer every question (blank answers allowed). */
export function parseGradingInput(keyText: string, submissionsText: string): Parsed<GradingPayload> {
  const key = parseAnswerKey(keyText)
  if (!key.ok) return key
  const submissions = parseSubmissions(submissionsText)
  if (!submissions.ok) return submissions
  const uneven = submissions.value.find((s) => s.answers.length !== key.value.length)
  if (uneven) {
    return {
      ok: false,
      problem: { kind: 'answerCount', student: uneven.student, expected: key.value.length, got: uneven.answers.length },
    }
  }
  return { ok: true, value: { answer_key: key.value, submissions: submissions.value } }
}
