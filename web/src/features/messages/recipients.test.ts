import { describe, expect, it } from 'vitest'
import { inClass, parseTargets } from './recipients'

describe('parseTargets', () => {
  it('splits recipients on new lines, commas and semicolons, dropping blanks and repeats', () => {
    expect(parseTargets('010-1234-5678\n a@b.c ,, 01012345678;a@b.c\n', 'recipients')).toEqual({
      ok: true,
      payload: { recipients: ['010-1234-5678', 'a@b.c', '01012345678'] },
    })
  })

  it('reads student ids as integers and names the first that is not one', () => {
    expect(parseTargets('3, 14\n15', 'student_ids')).toEqual({ ok: true, payload: { student_ids: [3, 14, 15] } })
    expect(parseTargets('3, x7', 'student_ids')).toEqual({ ok: false, error: 'badStudentId', value: 'x7' })
  })

  it('refuses an empty list', () => {
    expect(parseTargets(' \n, ', 'recipients')).toEqual({ ok: false, error: 'empty' })
  })
})

describe('inClass', () => {
  const students = [
    { id: 1, class_name: 'A' },
    { id: 2, class_name: ' a ' },
    { id: 3, class_name: 'B' },
    { id: 4, class_name: null },
  ]
  it('keeps the students of the typed class, any case, or everyone when none is typed', () => {
    expect(inClass(students, 'a').map((s) => s.id)).toEqual([1, 2])
    expect(inClass(students, '  ').map((s) => s.id)).toEqual([1, 2, 3, 4])
  })
})
