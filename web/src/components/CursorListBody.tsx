import type { ReactNode } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'

/** What a list page needs of its infinite query (TanStack Query's result has all of it). */
export interface CursorListQuery {
  error: unknown
  isPending: boolean
  hasNextPage: boolean
  isFetchingNextPage: boolean
  fetchNextPage: () => Promise<unknown>
}

/**
 * The states every cursor-paginated list shows the same way: its error, "loading", the empty
 * text, the rows (children) and "show more". Test ids are `<testId>-error|-empty|-more`.
 */
export function CursorListBody({
  query,
  isEmpty,
  emptyText,
  testId,
  errorTestId = `${testId}-error`,
  children,
}: {
  query: CursorListQuery
  isEmpty: boolean
  emptyText: string
  testId: string
  errorTestId?: string
  children: ReactNode
}) {
  const { t } = useI18n()
  return (
    <>
      <ErrorMessage error={query.error} testId={errorTestId} />
      {query.isPending ? (
        <p className="muted">{t('common.loading')}</p>
      ) : isEmpty ? (
        <p className="muted" data-testid={`${testId}-empty`}>
          {emptyText}
        </p>
      ) : (
        children
      )}
      {query.hasNextPage && (
        <button type="button" data-testid={`${testId}-more`} disabled={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
          {t('list.more')}
        </button>
      )}
    </>
  )
}
