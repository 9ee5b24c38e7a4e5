import { useSyncExternalStore } from 'react'

/**
 * Routes live in the URL hash (#/videos/12), so Django serves one index.html at "/" and
 * needs no catch-all for client-side paths.
 */
export type Route =
  | { name: 'library' }
  | { name: 'upload' }
  | { name: 'history' }
  | { name: 'students' }
  | { name: 'video'; id: string }
  | { name: 'import' }
  | { name: 'messages' }
  | { name: 'ai' }
  | { name: 'not-found'; path: string }

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/'
  if (path === '/' || path === '/videos') return { name: 'library' }
  if (path === '/upload') return { name: 'upload' }
  if (path === '/jobs') return { name: 'history' }
  if (path === '/students') return { name: 'students' }
  if (path === '/import') return { name: 'import' }
  if (path === '/messages') return { name: 'messages' }
  if (path === '/ai') return { name: 'ai' }
  const video = /^\/videos\/([^/]+)$/.exec(path)
  if (video?.[1]) return { name: 'video', id: decodeURIComponent(video[1]) }
  return { name: 'not-found', path }
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener)
  return () => window.removeEventListener('hashchange', listener)
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash)
}
