import { useSyncExternalStore } from 'react'

/** What the token endpoint told us about the signed-in user, kept for this tab only. */
export type Session = {
  access: string
  tenantId: number | string
  tenantName: string
  role: string
  username: string
  /** Epoch milliseconds after which the token is no longer accepted. */
  expiresAt: number
}

/** Why the last session ended; the login screen explains it. */
export type SessionEnd = 'logout' | 'expired'

type Snapshot = { session: Session | null; ended: SessionEnd | null }

const STORAGE_KEY = 'academy.session'

// sessionStorage keeps the token per tab and drops it when the tab closes. Unit tests run
// in Node, which has no Web Storage: they get a session that lives in memory only.
const storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null =
  typeof sessionStorage === 'undefined' ? null : sessionStorage

function load(): Session | null {
  const raw = storage?.getItem(STORAGE_KEY)
  if (!raw) return null
  const session = JSON.parse(raw) as Session
  return session.expiresAt > Date.now() ? session : null
}

let snapshot: Snapshot = { session: load(), ended: null }
const listeners = new Set<() => void>()

function publish(next: Snapshot): void {
  snapshot = next
  listeners.forEach((listener) => listener())
}

export const sessionStore = {
  get: (): Snapshot => snapshot,
  token: (): string | null => snapshot.session?.access ?? null,
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  start(session: Session): void {
    storage?.setItem(STORAGE_KEY, JSON.stringify(session))
    publish({ session, ended: null })
  },
  end(reason: SessionEnd): void {
    if (!snapshot.session) return
    storage?.removeItem(STORAGE_KEY)
    publish({ session: null, ended: reason })
  },
}

export function useSession(): Snapshot {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get)
}
