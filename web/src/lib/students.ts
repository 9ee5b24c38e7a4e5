import { cursorListOptions } from '@/lib/cursor-list'

/** A student of the roster (`GET /api/v1/students/`); `deleted_at` set when soft-deleted. */
export type Student = {
  id: number
  ps_number?: string | null
  name: string
  parent_phone: string
  phone?: string | null
  school?: string | null
  school_type?: string | null
  grade?: number | null
  class_name?: string | null
  gender?: string | null
  deleted_at?: string | null
}

/** `q`: name, school, class or phone digits; `grade`; `deleted`: false (default), true, all. */
export type RosterFilters = { q: string; grade: string; deleted: 'false' | 'true' | 'all' }

export const rosterKey = ['students', 'list'] as const

/** The roster as a cursor list (the roster page, the message composer's picker). */
export function rosterOptions(filters: RosterFilters, pageSize = 50) {
  return cursorListOptions<Student>(rosterKey, '/api/v1/students/', { ...filters, page_size: pageSize })
}
