import { sessionStore } from './session'

/** One field's error: DRF's code ("required", "max_length"...) and its English text. */
export type FieldError = { code: string; message: string }

/**
 * A failed API call. `status` is null when no HTTP answer arrived (network down, server
 * unreachable). The backend answers `{"detail", "code", "params"}`: `code` is stable and is
 * what the app localises (never the English `detail`); a validation error ("invalid") lists
 * each field's errors in `params.fields`. DRF's older shape `{"field": ["message"]}` is read
 * too, as field errors with code "invalid".
 */
export class ApiError extends Error {
  readonly status: number | null
  readonly detail: string | null
  readonly code: string | null
  readonly params: Readonly<Record<string, unknown>>
  readonly fieldErrors: Readonly<Record<string, readonly FieldError[]>>

  constructor(
    status: number | null,
    detail: string | null,
    {
      code = null,
      params = {},
      fieldErrors = {},
    }: { code?: string | null; params?: Record<string, unknown>; fieldErrors?: Record<string, readonly FieldError[]> } = {},
  ) {
    super(detail ?? (status === null ? 'Network error' : `HTTP ${status}`))
    this.name = 'ApiError'
    this.status = status
    this.detail = detail
    this.code = code
    this.params = params
    this.fieldErrors = fieldErrors
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function asFieldErrors(value: unknown): FieldError[] {
  const list = Array.isArray(value) ? value : [value]
  return list.map((item) =>
    isRecord(item) && typeof item.code === 'string'
      ? { code: item.code, message: typeof item.message === 'string' ? item.message : '' }
      : { code: 'invalid', message: typeof item === 'string' ? item : '' },
  )
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
  if (!isRecord(body)) return new ApiError(status, typeof body === 'string' ? body : null)
  const detail = typeof body.detail === 'string' ? body.detail : null
  const code = typeof body.code === 'string' ? body.code : null
  const params = isRecord(body.params) ? body.params : {}
  const fieldErrors: Record<string, FieldError[]> = {}
  if (isRecord(params.fields)) {
    for (const [field, errors] of Object.entries(params.fields)) fieldErrors[field] = asFieldErrors(errors)
  } else {
    // The older shape: every other key is a field with its messages.
    for (const [field, value] of Object.entries(body)) {
      if (field === 'detail' || field === 'code' || field === 'params') continue
      fieldErrors[field] = asFieldErrors(value)
    }
  }
  return new ApiError(status, detail, { code, params, fieldErrors })
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

  delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return request<T>('DELETE', path, undefined, {}, options)
  },

  /** GET a file (with the Bearer token, which a plain link cannot send) as a Blob. */
  async blob(path: string, { signal }: RequestOptions = {}): Promise<Blob> {
    let response: Response
    try {
      response = await fetch(path, { signal, headers: authHeaders(true) })
    } catch (error) {
      if (signal?.aborted) throw error
      throw new ApiError(null, null)
    }
    if (!response.ok) throw fail(response.status, await response.text(), true)
    return response.blob()
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
