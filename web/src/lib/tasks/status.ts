/** Task statuses after which nothing changes any more (until a retry): the poller stops at them. */
export const TERMINAL_STATUSES: readonly string[] = ['READY', 'DONE', 'FAILED', 'CANCELLED']

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.includes(status)
}
