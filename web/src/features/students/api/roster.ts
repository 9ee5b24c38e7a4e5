import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { downloadBlob } from '@/lib/download'
import { rosterKey, rosterOptions, type RosterFilters } from '@/lib/students'

export function useRoster(filters: RosterFilters) {
  return useInfiniteQuery(rosterOptions(filters))
}

/** Put a soft-deleted student back on the roster, or soft-delete one. */
export function useStudentAction() {
  const client = useQueryClient()
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'restore' | 'delete' }) =>
      action === 'restore' ? api.post(`/api/v1/students/${id}/restore/`, {}) : api.delete(`/api/v1/students/${id}/`),
    onSuccess: () => client.invalidateQueries({ queryKey: rosterKey }),
  })
}

/** The empty import workbook with the Korean headers the import reads. */
export function useTemplateDownload() {
  return useMutation({
    mutationFn: async () => downloadBlob(await api.blob('/api/v1/students/import/template/'), 'students-template.xlsx'),
  })
}
