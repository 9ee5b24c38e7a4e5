import { useInfiniteQuery } from '@tanstack/react-query'
import { cursorListOptions } from '@/lib/cursor-list'
import { listKeys } from '@/lib/tasks/api/task-actions'
import type { VideoListItem } from '@/lib/tasks/types'

export type VideoFilters = { q: string; status: string }

/** The library, newest first (`GET /media/videos/`); encoding rows poll their own progress. */
export function useVideos(filters: VideoFilters) {
  return useInfiniteQuery(cursorListOptions<VideoListItem>(listKeys.videos, '/media/videos/', { ...filters, page_size: 20 }))
}
