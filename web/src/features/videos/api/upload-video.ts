import { useMutation } from '@tanstack/react-query'
import { useState } from 'react'
import { api, type UploadProgress } from '@/lib/api-client'
import { trackedTasks } from '@/lib/tasks/store'
import type { VideoStatus } from '@/lib/tasks/types'

export type UploadInput = { title: string; file: File; signal?: AbortSignal }
export type UploadAnswer = { id: number | string; status: VideoStatus }

export function uploadVideo(
  { title, file, signal }: UploadInput,
  onProgress: (progress: UploadProgress) => void,
): Promise<UploadAnswer> {
  const form = new FormData()
  form.append('title', title)
  form.append('file', file)
  return api.upload<UploadAnswer>('/media/videos/', form, onProgress, signal)
}

/** Upload a video, reporting bytes sent; the new video joins the tasks panel. */
export function useUploadVideo() {
  const [sent, setSent] = useState<UploadProgress | null>(null)
  const mutation = useMutation({
    mutationFn: (input: UploadInput) => uploadVideo(input, setSent),
    onMutate: () => setSent(null),
    onSuccess: (answer, input) => {
      trackedTasks.add({
        kind: 'video',
        id: String(answer.id),
        startedAt: Date.now(),
        origin: 'upload',
        label: input.title,
      })
    },
  })
  return { mutation, sent }
}
