/**
 * The poller of one task as a small state machine, pure.
 *
 *   polling --failed request--> backing-off --progress--> polling
 *   polling | backing-off --terminal status--> finished
 *   polling | backing-off --401 / 404--> stopped(reason)
 *
 * `finished` and `stopped` are final: late answers change nothing, so a task that ended is
 * never polled again and its detail is fetched once (see task-query.ts).
 */
import { ApiError } from '@/lib/api-client'
import { isTerminal } from './status'

export type StopReason = 'unauthorized' | 'not-found'

export type PollerState =
  | { kind: 'polling' }
  | { kind: 'backing-off'; failures: number }
  | { kind: 'finished'; status: string }
  | { kind: 'stopped'; reason: StopReason }

export type PollerEvent =
  | { type: 'progress'; status: string }
  /** A good answer of an endpoint that never finishes (the active-task list). */
  | { type: 'answer' }
  | { type: 'failure'; httpStatus: number | null }

export const INITIAL_POLLER: PollerState = { kind: 'polling' }

export function isFinal(state: PollerState): boolean {
  return state.kind === 'finished' || state.kind === 'stopped'
}

/** Describe a failed progress request as an event; non-HTTP errors count as network errors. */
export function failureEvent(error: unknown): PollerEvent {
  return { type: 'failure', httpStatus: error instanceof ApiError ? error.status : null }
}

export function transition(state: PollerState, event: PollerEvent): PollerState {
  if (isFinal(state)) return state
  if (event.type === 'progress' && isTerminal(event.status)) return { kind: 'finished', status: event.status }
  if (event.type !== 'failure') return state.kind === 'polling' ? state : INITIAL_POLLER
  if (event.httpStatus === 401) return { kind: 'stopped', reason: 'unauthorized' }
  if (event.httpStatus === 404) return { kind: 'stopped', reason: 'not-found' }
  const failures = state.kind === 'backing-off' ? state.failures + 1 : 1
  return { kind: 'backing-off', failures }
}
