/**
 * The AI grading result as tables, pure: per-student scores, per-question statistics,
 * flagged near-duplicate pairs, and the warnings. Column titles are message keys, so the
 * page and its CSV files speak the reader's language.
 */
import type { MessageKey } from '@/lib/i18n'

export type Cell = string | number
export type GradingTable = { id: 'students' | 'questions' | 'duplicates' | 'warnings'; columns: MessageKey[]; rows: Cell[][] }
export type GradingSummary = {
  submissions: number
  questions: number
  max_total: number
  mean_total: number | null
  median_total: number | null
  possible_copies: number
}
export type Grading = { summary: GradingSummary | null; tables: GradingTable[]; truncated: boolean }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : [])
const num = (value: unknown): Cell => (typeof value === 'number' && Number.isFinite(value) ? value : '')
const str = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '')

/** Read a grading result; null when it is not one (then the page says so, no JSON dump). */
export function gradingTables(result: unknown): Grading | null {
  if (!isRecord(result) || !Array.isArray(result.questions)) return null
  const students = records(result.students)
  const questions = records(result.questions)
  const duplicates = records(result.duplicates)
  const warnings = Array.isArray(result.warnings) ? result.warnings : []
  const tables: GradingTable[] = []
  if (students.length > 0) {
    tables.push({
      id: 'students',
      columns: ['grading.col.student', 'grading.col.total', 'grading.col.max', 'grading.col.percent'],
      rows: students.map((s) => [str(s.student), num(s.total), num(s.max), num(s.percent)]),
    })
  }
  tables.push({
    id: 'questions',
    columns: [
      'grading.col.number',
      'grading.col.question',
      'grading.col.points',
      'grading.col.meanPercent',
      'grading.col.correct',
      'grading.col.partial',
      'grading.col.wrong',
      'grading.col.blank',
      'grading.col.commonWrong',
    ],
    rows: questions.map((q) => [
      typeof q.index === 'number' ? q.index + 1 : '',
      str(q.question),
      num(q.points),
      num(q.mean_percent),
      num(q.correct),
      num(q.partial),
      num(q.wrong),
      num(q.blank),
      records(q.common_wrong_answers)
        .map((w) => `${str(w.answer)} (${num(w.count)})`)
        .join(', '),
    ]),
  })
  tables.push({
    id: 'duplicates',
    columns: ['grading.col.studentA', 'grading.col.studentB', 'grading.col.similarity', 'grading.col.sharedAnswers'],
    rows: duplicates.map((d) => {
      const pair = Array.isArray(d.students) ? d.students.map(str) : []
      const similarity = typeof d.similarity === 'number' ? Math.round(d.similarity * 1000) / 10 : ''
      const shared = Array.isArray(d.shared_answers) ? d.shared_answers.map((q) => (typeof q === 'number' ? q + 1 : str(q))) : []
      return [pair[0] ?? '', pair[1] ?? '', similarity, shared.join(', ')]
    }),
  })
  tables.push({ id: 'warnings', columns: ['grading.col.warning'], rows: warnings.map((w) => [str(w)]) })
  const summary = isRecord(result.summary) ? (result.summary as unknown as GradingSummary) : null
  return { summary, tables, truncated: result.duplicates_truncated === true || students.length === 0 }
}
