import { describe, expect, it } from 'vitest'
import { gradingTables } from './grading-tables'

const result = {
  summary: { submissions: 2, questions: 2, max_total: 2, mean_total: 1.5, median_total: 1.5, possible_copies: 1 },
  questions: [
    { index: 0, question: '1+1?', points: 1, mean_percent: 100, correct: 2, partial: 0, wrong: 0, blank: 0, common_wrong_answers: [] },
    { index: 1, question: 'Capital?', points: 1, mean_percent: 50, correct: 1, partial: 0, wrong: 1, blank: 0,
      common_wrong_answers: [{ answer: 'Busan', count: 1 }] },
  ],
  hardest_question: 1,
  students: [
    { student: '김민수', total: 2, max: 2, percent: 100, answers: [] },
    { student: '이지우', total: 1, max: 2, percent: 50, answers: [] },
  ],
  duplicates: [{ students: ['김민수', '이지우'], similarity: 0.912, shared_answers: [0] }],
  duplicates_truncated: false,
  warnings: ['submission 3 has no student name'],
}

describe('gradingTables', () => {
  it('reads the four lists of a grading result into four tables', () => {
    const grading = gradingTables(result)
    expect(grading?.tables.map((table) => table.id)).toEqual(['students', 'questions', 'duplicates', 'warnings'])
    const [students, questions, duplicates, warnings] = grading!.tables
    expect(students!.rows).toEqual([
      ['김민수', 2, 2, 100],
      ['이지우', 1, 2, 50],
    ])
    expect(questions!.rows[1]).toEqual([2, 'Capital?', 1, 50, 1, 0, 1, 0, 'Busan (1)'])
    expect(duplicates!.rows).toEqual([['김민수', '이지우', 91.2, '1']])
    expect(warnings!.rows).toEqual([['submission 3 has no student name']])
    expect(grading!.summary?.possible_copies).toBe(1)
    expect(grading!.truncated).toBe(false)
  })

  it('says the per-student table is missing from a summary (a large result read from progress)', () => {
    const grading = gradingTables({ ...result, students: undefined })
    expect(grading?.tables.map((table) => table.id)).toEqual(['questions', 'duplicates', 'warnings'])
    expect(grading?.truncated).toBe(true)
  })

  it('is null for anything that is not a grading result', () => {
    expect(gradingTables([{ a: 1 }])).toBeNull()
    expect(gradingTables({ created: 1 })).toBeNull()
    expect(gradingTables(null)).toBeNull()
  })
})
