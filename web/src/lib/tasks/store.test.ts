import { beforeEach, describe, expect, it } from 'vitest'
import { trackedTasks } from './store'

describe('trackedTasks', () => {
  beforeEach(() => trackedTasks.clear())

  it('keeps the form origin and label of a task the active list reports later', () => {
    trackedTasks.add({ kind: 'job', id: 'a', startedAt: 2, origin: 'import', label: 'roster.xlsx' })
    trackedTasks.add({ kind: 'job', id: 'a', startedAt: 1, origin: 'active' })
    expect(trackedTasks.get()).toEqual([{ kind: 'job', id: 'a', startedAt: 2, origin: 'import', label: 'roster.xlsx' }])
  })

  it("lets the form claim a task the active list reported first (the form's outcome shows)", () => {
    trackedTasks.add({ kind: 'job', id: 'a', startedAt: 1, origin: 'active' }, { kind: 'video', id: '3', startedAt: 0, origin: 'active' })
    trackedTasks.add({ kind: 'job', id: 'a', startedAt: 2, origin: 'import', label: 'roster.xlsx' })
    expect(trackedTasks.get()).toEqual([
      { kind: 'job', id: 'a', startedAt: 2, origin: 'import', label: 'roster.xlsx' },
      { kind: 'video', id: '3', startedAt: 0, origin: 'active' },
    ])
  })
})
