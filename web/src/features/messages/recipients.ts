/**
 * Parse what a teacher types into the recipients box, pure: phone numbers or e-mail
 * addresses, or student ids, separated by new lines, commas or semicolons.
 */
export type MessageTarget =
  | { ok: true; payload: { recipients: string[] } | { student_ids: number[] } }
  | { ok: false; error: 'empty' | 'badStudentId'; value?: string }

export type TargetMode = 'recipients' | 'student_ids'

export function parseTargets(text: string, mode: TargetMode): MessageTarget {
  const items = [...new Set(text.split(/[\n,;]+/).map((item) => item.trim()).filter(Boolean))]
  if (items.length === 0) return { ok: false, error: 'empty' }
  if (mode === 'recipients') return { ok: true, payload: { recipients: items } }
  const bad = items.find((item) => !/^\d+$/.test(item))
  if (bad !== undefined) return { ok: false, error: 'badStudentId', value: bad }
  return { ok: true, payload: { student_ids: items.map(Number) } }
}

/** The picker's filters beyond what the roster endpoint filters: the class, typed freely. */
export function inClass<T extends { class_name?: string | null }>(students: readonly T[], className: string): T[] {
  const wanted = className.trim().toLowerCase()
  if (!wanted) return [...students]
  return students.filter((student) => (student.class_name ?? '').trim().toLowerCase() === wanted)
}
