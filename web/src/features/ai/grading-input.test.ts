import { describe, expect, it } from 'vitest'
import { parseAnswerKey, parseGradingInput, parseSubmissions } from './grading-input'

describe('grading input, line format', () => {
  it('reads "question | answer" and "student: a | b" lines', () => {
    expect(parseGradingInput('1+1? | 2\n\nCapital of Korea? | Seoul\n', '민수: 2 | Seoul\nJi-woo: 3 |  ')).toEqual({
      ok: true,
      value: {
        answer_key: [
          { question: '1+1?', answer: '2' },
          { question: 'Capital of Korea?', answer: 'Seoul' },
        ],
        submissions: [
          { student: '민수', answers: ['2', 'Seoul'] },
          { student: 'Ji-woo', answers: ['3', ''] },
        ],
      },
    })
  })

  it('names the line it cannot read', () => {
    expect(parseAnswerKey('a | b\nno bar here')).toEqual({ ok: false, problem: { kind: 'keyLine', line: 2 } })
    expect(parseSubmissions('\nno colon')).toEqual({ ok: false, problem: { kind: 'submissionLine', line: 2 } })
  })

  it('refuses a student whose answers do not match the key', () => {
    expect(parseGradingInput('q | a\nr | b', 'kim: a')).toEqual({
      ok: false,
      problem: { kind: 'answerCount', student: 'kim', expected: 2, got: 1 },
    })
  })
})

describe('grading input, JSON', () => {
  it('takes the API shape as is', () => {
    const key = '[{"question": "q", "answer": "a | b"}]'
    const submissions = '[{"student": "kim", "answers": ["a"]}]'
    expect(parseGradingInput(key, submissions)).toEqual({
      ok: true,
      value: { answer_key: [{ question: 'q', answer: 'a | b' }], submissions: [{ student: 'kim', answers: ['a'] }] },
    })
  })

  it('reports broken JSON and the wrong shape', () => {
    expect(parseAnswerKey('[{"question": ').ok).toBe(false)
    expect(parseSubmissions('[{"student": "kim", "answers": "a"}]')).toMatchObject({
      ok: false,
      problem: { kind: 'json', field: 'submissions' },
    })
  })
})
