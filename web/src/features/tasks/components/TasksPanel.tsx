import { useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'
import { useActiveTasks, type ActiveTask } from '@/features/tasks/api/get-active-tasks'
import { isFinal } from '@/lib/tasks/poller'
import { trackedTasks, useTrackedTasks, type TrackedTask } from '@/lib/tasks/store'
import { readPoller } from '@/lib/tasks/task-query'
import { TaskRow } from './TaskRow'

const fromActive = (task: ActiveTask): TrackedTask => ({
  kind: task.kind,
  id: String(task.id),
  startedAt: Math.round(task.started_at * 1000),
  origin: 'active',
})

export function TasksPanel() {
  const { t } = useI18n()
  const client = useQueryClient()
  const tasks = useTrackedTasks()
  const active = useActiveTasks()

  // Remember every task the active list reports, so a task keeps its row (and its final
  // status) after it ends and drops out of the list.
  useEffect(() => {
    if (active.data) trackedTasks.add(...active.data.results.map(fromActive))
  }, [active.data])

  const clearFinished = () =>
    trackedTasks.remove(...tasks.filter((task) => isFinal(readPoller(client, task))))

  return (
    <section className="panel tasks-panel" data-testid="tasks-panel" aria-labelledby="tasks-title">
      <div className="panel-head">
        <h2 id="tasks-title">{t('tasks.title')}</h2>
        {tasks.length > 0 && (
          <button type="button" className="link" data-testid="tasks-clear-finished" onClick={clearFinished}>
            {t('tasks.clearFinished')}
          </button>
        )}
      </div>
      <ErrorMessage error={active.error} testId="tasks-error" />
      {tasks.length === 0 ? (
        <p className="muted" data-testid="tasks-empty">
          {t('tasks.empty')}
        </p>
      ) : (
        <ul className="task-list">
          {tasks.map((task) => (
            <TaskRow key={`${task.kind}:${task.id}`} task={task} />
          ))}
        </ul>
      )}
    </section>
  )
}
