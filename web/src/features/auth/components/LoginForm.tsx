import { useState, type FormEvent } from 'react'
import { ErrorMessage } from '@/components/ErrorMessage'
import { useI18n } from '@/lib/i18n'
import type { SessionEnd } from '@/lib/session'
import { useLogin } from '@/features/auth/api/create-token'

export function LoginForm({ ended }: { ended: SessionEnd | null }) {
  const { t } = useI18n()
  const login = useLogin()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [tenant, setTenant] = useState('')

  const submit = (event: FormEvent) => {
    event.preventDefault()
    const trimmed = tenant.trim()
    login.mutate({
      username: username.trim(),
      password,
      // Tenant ids are integers; anything else is sent as typed for the server to judge.
      tenant_id: /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed,
    })
  }

  return (
    <form className="panel login" onSubmit={submit} data-testid="login-form">
      <h1>{t('login.title')}</h1>
      {ended === 'expired' && (
        <p className="warning" role="status" data-testid="login-message">
          {t('login.expired')}
        </p>
      )}
      {ended === 'logout' && (
        <p className="muted" role="status" data-testid="login-message">
          {t('login.loggedOut')}
        </p>
      )}
      <label>
        {t('login.username')}
        <input
          data-testid="login-username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
      </label>
      <label>
        {t('login.password')}
        <input
          data-testid="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <label>
        {t('login.tenant')}
        <input
          data-testid="login-tenant"
          inputMode="numeric"
          required
          value={tenant}
          onChange={(e) => setTenant(e.target.value)}
        />
      </label>
      <ErrorMessage error={login.error} testId="login-error" />
      <button type="submit" data-testid="login-submit" disabled={login.isPending}>
        {login.isPending ? t('login.submitting') : t('login.submit')}
      </button>
    </form>
  )
}
