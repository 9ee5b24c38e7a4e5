import { useMutation } from '@tanstack/react-query'
import { api } from '@/lib/api-client'
import { sessionStore } from '@/lib/session'

export type Credentials = { username: string; password: string; tenant_id: number | string }

export type TokenAnswer = {
  access: string
  tenant_id: number | string
  tenant_name: string
  role: string
  expires_in: number
}

export function createToken(credentials: Credentials): Promise<TokenAnswer> {
  // The one call without a Bearer token: a 401 here is a wrong password, not an expiry.
  return api.post<TokenAnswer>('/api/v1/auth/token/', credentials, { auth: false })
}

/** Sign in: exchange the credentials for a token and start the session. */
export function useLogin() {
  return useMutation({
    mutationFn: createToken,
    onSuccess: (answer, credentials) => {
      sessionStore.start({
        access: answer.access,
        tenantId: answer.tenant_id,
        tenantName: answer.tenant_name,
        role: answer.role,
        username: credentials.username,
        expiresAt: Date.now() + answer.expires_in * 1000,
      })
    },
  })
}
