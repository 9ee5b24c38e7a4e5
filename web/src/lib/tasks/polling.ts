/**
 * The polling policy, pure: how long to wait before asking a polled endpoint again. Every
 * polled query follows it: each task's progress and the tenant's active-task list.
 *
 * - while polling: at the endpoint's pace. A task's progress is asked every 1 s during the
 *   task's first 10 s, every 2 s until 60 s, then every 4 s; the active list every 3 s;
 * - after failed requests: exponential backoff, 2 s, 4 s, 8 s ... capped at 30 s;
 * - finished (READY / DONE / FAILED) or stopped (401 / 404): `false`, no more requests.
 *
 * Paused while the document is hidden: TanStack Query skips interval refetches of a hidden
 * page unless `refetchIntervalInBackground` is true, and every polling query sets it to
 * POLL_WHILE_HIDDEN explicitly rather than relying on the default.
 */
import type { PollerState } from './poller'

export const POLL_WHILE_HIDDEN = false

/** Milliseconds between two good answers, given the time since the polled thing started. */
export type Pace = (elapsedMs: number) => number

/** A task's progress: quick while it is young, when a user is most likely watching it start. */
export const taskPace: Pace = (elapsedMs) => {
  if (elapsedMs < 10_000) return 1_000
  if (elapsedMs < 60_000) return 2_000
  return 4_000
}

export const steadyPace =
  (ms: number): Pace =>
  () =>
    ms

const BACKOFF_FIRST_MS = 2_000
const BACKOFF_CAP_MS = 30_000

/** Wait after `failures` consecutive failed requests (1 -> 2 s, 2 -> 4 s, ... <= 30 s). */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, failures - 1), BACKOFF_CAP_MS)
}

/** Return the delay before the next request, or false to stop polling. */
export function nextInterval(elapsedMs: number, state: PollerState, pace: Pace = taskPace): number | false {
  switch (state.kind) {
    case 'finished':
    case 'stopped':
      return false
    case 'backing-off':
      return backoffMs(state.failures)
    case 'polling':
      return pace(elapsedMs)
  }
}
