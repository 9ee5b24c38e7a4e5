import { useSyncExternalStore } from 'react'
import type { TaskRef } from './types'

/** Where a task came from: a form of this tab, or the tenant's active-task list. */
export type TaskOrigin = 'upload' | 'import' | 'message' | 'ai' | 'active' | 'library' | 'history'

export type TrackedTask = TaskRef & { origin: TaskOrigin; label?: string }

const STORAGE_KEY = 'academy.tasks'
const storage: Pick<Storage, 'getItem' | 'setItem'> | null =
  typeof sessionStorage === 'undefined' ? null : sessionStorage

const sameTask = (a: TaskRef, b: TaskRef) => a.kind === b.kind && a.id === b.id

let tasks: readonly TrackedTask[] = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '[]') as TrackedTask[]
const listeners = new Set<() => void>()

function publish(next: readonly TrackedTask[]): void {
  tasks = next
  storage?.setItem(STORAGE_KEY, JSON.stringify(next))
  listeners.forEach((listener) => listener())
}

/**
 * The tasks the panel shows: those started in this tab and those the active list reported,
 * kept (per tab, in sessionStorage) after they end until dismissed, newest first.
 */
export const trackedTasks = {
  get: (): readonly TrackedTask[] => tasks,
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  /**
   * Add tasks not tracked yet. A task this tab started keeps its origin and label; and when
   * the active list reported it first (it may poll between the server's answer and the
   * form's), the form's claim replaces the list's, so the form still shows its outcome.
   */
  add(...added: TrackedTask[]): void {
    const claims = added.filter((task) => task.origin !== 'active')
    const kept = tasks.filter((known) => !(known.origin === 'active' && claims.some((task) => sameTask(known, task))))
    const fresh = added.filter((task) => !kept.some((known) => sameTask(known, task)))
    if (fresh.length === 0) return
    publish([...fresh, ...kept].sort((a, b) => b.startedAt - a.startedAt))
  },
  /** Track a task again from now on (a retry): a new start, first in the list. */
  restart(task: TrackedTask): void {
    publish([task, ...tasks.filter((known) => !sameTask(known, task))].sort((a, b) => b.startedAt - a.startedAt))
  },
  remove(...removed: TaskRef[]): void {
    publish(tasks.filter((task) => !removed.some((gone) => sameTask(gone, task))))
  },
  clear(): void {
    if (tasks.length > 0) publish([])
  },
}

export function useTrackedTasks(): readonly TrackedTask[] {
  return useSyncExternalStore(trackedTasks.subscribe, trackedTasks.get)
}

/** The newest task a given form started, to show its outcome beside the form. */
export function useLatestTask(origin: TaskOrigin): TrackedTask | undefined {
  return useTrackedTasks().find((task) => task.origin === origin)
}
