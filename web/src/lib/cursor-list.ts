import { infiniteQueryOptions, type QueryKey } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import type { Page } from '@/lib/tasks/types'

/** `?a=1&b=x` from the filters that are set; empty ones are left out. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(name, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

/** The same-origin path of a `next` link (the server writes absolute URLs). */
export function nextPath(next: string): string {
  const url = new URL(next, 'http://same-origin')
  return url.pathname + url.search
}

/**
 * A cursor-paginated list (`{"results", "next"}`) as an infinite query: the first page from
 * `path` with the filters, each further page from the previous answer's `next`.
 */
export function cursorListOptions<T>(key: QueryKey, path: string, filters: Record<string, string | number | boolean | null | undefined>) {
  return infiniteQueryOptions({
    queryKey: [...key, filters],
    queryFn: ({ pageParam, signal }) => api.get<Page<T>>(pageParam ?? path + queryString(filters), { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => (last.next ? nextPath(last.next) : null),
  })
}
