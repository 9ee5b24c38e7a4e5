import { useQueries } from '@tanstack/react-query'
import { useEffect } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'
import { useActiveTasks, type ActiveTask } from '@/features/tasks/api/get-active-tasks'
import { INITIAL_POLLER, isFinal } from '@/lib/tasks/poller'
import { trackedTasks, useTrackedTasks, type TrackedTask } from '@/lib/tasks/store'
import { pollerQueryOptions } from '@/lib/tasks/task-query'
import { TaskRow } from './TaskRow'

const fromActive = (task: ActiveTask): TrackedTask => ({
  kind: task.kind,
  id: String(task.id),
  startedAt: Math.round(task.started_at * 1000),
  origin: 'active',
})

/**
 * The tasks of this tab: those running, and below them those that finished (until cleared),
 * so "Running tasks" lists only what still runs.
 */
export function TasksPanel() {
  const { t } = useI18n()
  const tasks = useTrackedTasks()
  const active = useActiveTasks()
  const pollers = useQueries({ queries: tasks.map((task) => pollerQueryOptions(task)) })
  const finished = tasks.filter((_, index) => isFinal(pollers[index]?.data ?? INITIAL_POLLER))
  const running = tasks.filter((task) => !finished.includes(task))

  // Remember every task the active list reports, so a task keeps its row (and its final
  // status) after it ends and drops out of the list.
  useEffect(() => {
    if (active.data) trackedTasks.add(...active.data.results.map(fromActive))
  }, [active.data])

  return (
    <section className="panel tasks-panel" data-testid="tasks-panel" aria-labelledby="tasks-title">
      <h2 id="tasks-title">{t('tasks.title')}</h2>
      <ErrorMessage error={active.error} testId="tasks-error" />
      {running.length === 0 ? (
        <p className="muted" data-testid="tasks-empty">
          {t('tasks.empty')}
        </p>
      ) : (
        <ul className="task-list" data-testid="tasks-running">
          {running.map((task) => (
            <TaskRow key={`${task.kind}:${task.id}`} task={task} />
          ))}
        </ul>
      )}
      {finished.length > 0 && (
        <>
          <div className="panel-head finished-head">
            <h3 id="tasks-finished-title">{t('tasks.finished')}</h3>
            <button type="button" className="link" data-testid="tasks-clear-finished" onClick={() => trackedTasks.remove(...finished)}>
              {t('tasks.clearFinished')}
            </button>
          </div>
          <ul className="task-list" data-testid="tasks-finished" aria-labelledby="tasks-finished-title">
            {finished.map((task) => (
              <TaskRow key={`${task.kind}:${task.id}`} task={task} />
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
