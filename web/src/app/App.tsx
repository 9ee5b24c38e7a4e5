import { useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { LoginForm } from '@/features/auth/components/LoginForm'
import { AiJobForm } from '@/features/ai/components/AiJobForm'
import { MessageForm } from '@/features/messages/components/MessageForm'
import { ImportForm } from '@/features/students/components/ImportForm'
import { HistoryPage } from '@/features/jobs/components/HistoryPage'
import { RosterPage } from '@/features/students/components/RosterPage'
import { TasksPanel } from '@/features/tasks/components/TasksPanel'
import { LibraryPage } from '@/features/videos/components/LibraryPage'
import { trackedTasks } from '@/lib/tasks/store'
import { useProgressStream } from '@/lib/tasks/stream'
import { UploadForm } from '@/features/videos/components/UploadForm'
import { VideoPage } from '@/features/videos/components/VideoPage'
import { useI18n, type MessageKey } from '@/lib/i18n'
import { LANGS, LANG_NAMES, type Lang } from '@/lib/i18n/messages'
import { sessionStore, useSession, type Session } from '@/lib/session'
import { parseRoute, useHash, type Route } from './router'

const NAV: { href: string; route: Route['name']; label: MessageKey; testId: string }[] = [
  { href: '#/videos', route: 'library', label: 'nav.library', testId: 'nav-library' },
  { href: '#/upload', route: 'upload', label: 'nav.upload', testId: 'nav-upload' },
  { href: '#/jobs', route: 'history', label: 'nav.history', testId: 'nav-history' },
  { href: '#/students', route: 'students', label: 'nav.students', testId: 'nav-students' },
  { href: '#/import', route: 'import', label: 'nav.import', testId: 'nav-import' },
  { href: '#/messages', route: 'messages', label: 'nav.messages', testId: 'nav-messages' },
  { href: '#/ai', route: 'ai', label: 'nav.ai', testId: 'nav-ai' },
]

function Page({ route }: { route: Route }) {
  const { t } = useI18n()
  switch (route.name) {
    case 'library':
      return <LibraryPage />
    case 'history':
      return <HistoryPage />
    case 'students':
      return <RosterPage />
    case 'upload':
      return <UploadForm />
    case 'video':
      return <VideoPage key={route.id} id={route.id} />
    case 'import':
      return <ImportForm />
    case 'messages':
      return <MessageForm />
    case 'ai':
      return <AiJobForm />
    case 'not-found':
      return (
        <section className="panel" data-testid="not-found">
          {t('nav.notFound', { path: route.path })}
        </section>
      )
  }
}

const ROLE_KEYS: Record<string, MessageKey> = {
  owner: 'role.owner',
  teacher: 'role.teacher',
  student: 'role.student',
  parent: 'role.parent',
}

/** The role in the reader's language (the server sends its code). */
function roleLabel(role: string, t: (key: MessageKey) => string): string {
  const key = ROLE_KEYS[role]
  return key ? t(key) : t('role.other')
}

function LanguageSwitch() {
  const { t, lang, setLang } = useI18n()
  return (
    <label className="lang">
      <span className="sr-only">{t('shell.language')}</span>
      <select data-testid="language-switch" value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        {LANGS.map((code) => (
          <option key={code} value={code}>
            {LANG_NAMES[code]}
          </option>
        ))}
      </select>
    </label>
  )
}

function Shell({ session }: { session: Session }) {
  const { t } = useI18n()
  const route = parseRoute(useHash())
  useProgressStream() // live progress; polling stands in whenever the stream is down
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('shell.skip')}
      </a>
      <header className="topbar" data-testid="topbar">
        <div className="who">
          <h1 className="app-name">{t('shell.appName')}</h1>
          <span data-testid="tenant-name" className="tenant">
            {session.tenantName}
          </span>
          <span className="muted" data-testid="user-name">
            {session.username} · {roleLabel(session.role, t)}
          </span>
        </div>
        <div className="topbar-actions">
          <LanguageSwitch />
          <button type="button" data-testid="logout" onClick={() => sessionStore.end('logout')}>
            {t('shell.logout')}
          </button>
        </div>
      </header>
      <nav className="nav" aria-label={t('shell.nav')}>
        {NAV.map((item) => (
          <a
            key={item.href}
            href={item.href}
            data-testid={item.testId}
            aria-current={route.name === item.route ? 'page' : undefined}
          >
            {t(item.label)}
          </a>
        ))}
      </nav>
      <div className="layout">
        <main id="main" tabIndex={-1}>
          <Page route={route} />
        </main>
        <aside aria-label={t('tasks.title')}>
          <TasksPanel />
        </aside>
      </div>
    </div>
  )
}

export function App() {
  const { session, ended } = useSession()
  const queryClient = useQueryClient()

  // Whatever was cached or tracked belonged to the session that ended (maybe another tenant).
  useEffect(() => {
    if (!session) {
      queryClient.clear()
      trackedTasks.clear()
    }
  }, [session, queryClient])

  if (!session) {
    return (
      <main className="login-page">
        <div className="login-lang">
          <LanguageSwitch />
        </div>
        <LoginForm ended={ended} />
      </main>
    )
  }
  return <Shell session={session} />
}
