import { QueryClient } from '@tanstack/react-query'
import { ApiError } from './api-client'

/** Retry only what may pass on a second try: no answer at all, or a 5xx. */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === null || error.status >= 500
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failureCount, error) => failureCount < 2 && isRetryable(error),
      },
      mutations: {
        // Every mutation here starts work on the server: never send it twice on our own.
        retry: false,
      },
    },
  })
}
