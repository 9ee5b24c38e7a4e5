import { sessionStore } from './session'

/**
 * A failed API call. `status` is null when no HTTP answer arrived (network down, server
 * unreachable). The backend answers `{"detail": "..."}` or DRF field errors
 * `{"field": ["message", ...]}`; both are kept so forms can show them.
 */
export class ApiError extends Error {
  readonly status: number | null
  readonly detail: string | null
  readonly fieldErrors: Readonly<Record<string, readonly string[]>>

  constructor(
    status: number | null,
    detail: string | null,
    fieldErrors: Record<string, readonly string[]> = {},
  ) {
    super(detail ?? (status === null ? 'Network error' : `HTTP ${status}`))
    this.name = 'ApiError'
    this.status = status
    this.detail = detail
    this.fieldErrors = fieldErrors
  }
}

/** Build the ApiError for a non-2xx answer from its status and raw body text. */
export function apiErrorFromResponse(status: number, bodyText: string): ApiError {
  let body: unknown
  try {
    body = JSON.parse(bodyText)
  } catch {
    // An HTML error page or an empty body: the status code is all there is to show.
    return new ApiError(status, null)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return new ApiError(status, typeof body === 'string' ? body : null)
  }
  const record = body as Record<string, unknown>
  const detail = typeof record.detail === 'string' ? record.detail : null
  const fieldErrors: Record<string, string[]> = {}
  for (const [field, value] of Object.entries(record)) {
    if (field === 'detail') continue
    const messages = Array.isArray(value) ? value : [value]
    fieldErrors[field] = messages.map((message) =>
      typeof message === 'string' ? message : JSON.stringify(message),
    )
  }
  return new ApiError(status, detail, fieldErrors)
}

type RequestOptions = {
  signal?: AbortSignal
  /** False for the token request itself: no Bearer header, and a 401 is just an answer. */
  auth?: boolean
}

export type UploadProgress = { loaded: number; total: number }

function authHeaders(auth: boolean): Record<string, string> {
  const token = auth ? sessionStore.token() : null
  return token ? { Authorization: `Bearer ${token}` } : {}
}

function fail(status: number, bodyText: string, auth: boolean): ApiError {
  // A rejected token ends the session; the app shows the login screen with a message.
  if (status === 401 && auth) sessionStore.end('expired')
  return apiErrorFromResponse(status, bodyText)
}

function parseSuccess<T>(status: number, bodyText: string): T {
  if (bodyText === '') return undefined as T
  try {
    return JSON.parse(bodyText) as T
  } catch {
    throw new ApiError(status, `Unexpected non-JSON answer (HTTP ${status})`)
  }
}

async function request<T>(
  method: string,
  path: string,
  body: BodyInit | undefined,
  headers: Record<string, string>,
  { signal, auth = true }: RequestOptions,
): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      body,
      signal,
      headers: { Accept: 'application/json', ...authHeaders(auth), ...headers },
    })
  } catch (error) {
    // Cancellation is not a failure: TanStack Query expects the AbortError back.
    if (signal?.aborted) throw error
    throw new ApiError(null, null)
  }
  const text = await response.text()
  if (!response.ok) throw fail(response.status, text, auth)
  return parseSuccess<T>(response.status, text)
}

/**
 * The one configured client: same-origin paths, Bearer token from the session, errors as
 * ApiError, a 401 ends the session.
 */
export const api = {
  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return request<T>('GET', path, undefined, {}, options)
  },

  post<T>(path: string, json: unknown, options: RequestOptions = {}): Promise<T> {
    return request<T>(
      'POST',
      path,
      JSON.stringify(json),
      { 'Content-Type': 'application/json' },
      options,
    )
  },

  postForm<T>(path: string, form: FormData, options: RequestOptions = {}): Promise<T> {
    return request<T>('POST', path, form, {}, options)
  },

  /**
   * POST a multipart form with XMLHttpRequest, because fetch cannot report how many bytes
   * of the request body were sent.
   */
  upload<T>(
    path: string,
    form: FormData,
    onProgress: (progress: UploadProgress) => void,
    signal?: AbortSignal,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      xhr.open('POST', path)
      xhr.setRequestHeader('Accept', 'application/json')
      for (const [name, value] of Object.entries(authHeaders(true))) {
        xhr.setRequestHeader(name, value)
      }
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total })
      }
      xhr.onload = () => {
        if (xhr.status < 200 || xhr.status >= 300) {
          reject(fail(xhr.status, xhr.responseText, true))
          return
        }
        try {
          resolve(parseSuccess<T>(xhr.status, xhr.responseText))
        } catch (error) {
          reject(error)
        }
      }
      xhr.onerror = () => reject(new ApiError(null, null))
      xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'))
      signal?.addEventListener('abort', () => xhr.abort(), { once: true })
      xhr.send(form)
    })
  },
}
