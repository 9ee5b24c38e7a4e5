/**
 * Texts for what the server says, by its stable codes: error codes with their params, field
 * error codes, step names, import row reasons, video failure reasons. The server's English
 * `detail` is never shown in Korean; an unknown code falls back to a generic sentence in
 * the reader's language (in English, to the server's own text when it sent one).
 */
import type { Lang } from './messages'

type Table = Record<string, string>

const en: Table = {
  // Requests
  not_found: 'Not found.',
  method_not_allowed: 'This action is not allowed here ({method}).',
  permission_denied: 'You do not have permission to do this.',
  not_authenticated: 'Please sign in.',
  authentication_failed: 'Your session is no longer valid. Please sign in again.',
  login_failed: 'Wrong username, password or academy ID.',
  throttled: 'Too many attempts. Try again in {wait_seconds} s.',
  server_error: 'Something went wrong on the server. Try again later.',
  bad_request: 'The request was not understood.',
  request_too_large: 'Too large: the limit is {limit_display}.',
  upload_too_large: 'The file is too large: the limit is {limit_display}.',
  too_many_fields: 'The form has too many fields or files.',
  json_invalid: 'The request is not valid JSON.',
  json_too_deep: 'The request nests deeper than {limit} levels.',
  json_nul_character: 'The request contains a NUL character.',
  unsupported_media_type: 'The request has an unsupported format.',
  invalid: 'Some fields are not valid.',
  cursor_invalid: 'This page of the list is no longer valid. Reload the list.',
  // Jobs and tasks
  payload_invalid: 'The input is not in the expected shape.',
  job_type_unknown: 'Unknown kind of job.',
  job_type_not_here: 'This kind of job cannot be started here.',
  retry_not_allowed: 'Only a failed or cancelled task can be retried.',
  cancel_not_allowed: 'Only a waiting or running task can be cancelled.',
  task_running: 'The task is still running: cancel it first.',
  // Students
  import_file_invalid: 'The file cannot be imported.',
  video_file_empty: 'The uploaded file is empty.',
  student_restore_conflict: 'An active student named {name} with this parent phone already exists.',
  // Messages
  body_empty: 'The message is empty.',
  body_too_long: 'The message has {length} characters; at most {limit} are allowed.',
  subject_not_text: 'The subject must be text.',
  subject_too_long: 'The subject has {length} characters; at most {limit} are allowed.',
  recipients_either_or: 'Choose recipients either by address or by student, not both.',
  recipients_empty: 'Nobody to send to.',
  recipients_too_many: '{count} recipients; at most {limit} per message.',
  recipients_invalid: '{count} of {total} recipients are not valid phone numbers or e-mail addresses; nothing was sent.',
  students_unknown: '{count} of the chosen students no longer exist; nothing was sent.',
  parent_phones_invalid: '{count} of the chosen students have no valid parent phone; nothing was sent.',
  // Accounts
  password_wrong: 'The current password is wrong.',
  password_invalid: 'The new password is not allowed.',
}

const ko: Table = {
  not_found: '찾을 수 없습니다.',
  method_not_allowed: '여기서는 할 수 없는 작업입니다 ({method}).',
  permission_denied: '이 작업을 할 권한이 없습니다.',
  not_authenticated: '로그인해 주세요.',
  authentication_failed: '세션이 더 이상 유효하지 않습니다. 다시 로그인해 주세요.',
  login_failed: '아이디, 비밀번호 또는 학원 ID가 올바르지 않습니다.',
  throttled: '시도가 너무 많습니다. {wait_seconds}초 후에 다시 시도하세요.',
  server_error: '서버에서 문제가 생겼습니다. 잠시 후 다시 시도하세요.',
  bad_request: '요청을 이해하지 못했습니다.',
  request_too_large: '너무 큽니다: 한도는 {limit_display}입니다.',
  upload_too_large: '파일이 너무 큽니다: 한도는 {limit_display}입니다.',
  too_many_fields: '양식의 항목이나 파일이 너무 많습니다.',
  json_invalid: '요청이 올바른 JSON이 아닙니다.',
  json_too_deep: '요청의 중첩이 {limit}단계를 넘습니다.',
  json_nul_character: '요청에 NUL 문자가 있습니다.',
  unsupported_media_type: '지원하지 않는 요청 형식입니다.',
  invalid: '올바르지 않은 항목이 있습니다.',
  cursor_invalid: '목록의 이 페이지는 더 이상 유효하지 않습니다. 목록을 새로 불러오세요.',
  payload_invalid: '입력이 예상한 형식이 아닙니다.',
  job_type_unknown: '알 수 없는 작업 종류입니다.',
  job_type_not_here: '여기서는 시작할 수 없는 작업 종류입니다.',
  retry_not_allowed: '실패했거나 취소된 작업만 다시 시도할 수 있습니다.',
  cancel_not_allowed: '대기 중이거나 진행 중인 작업만 취소할 수 있습니다.',
  task_running: '작업이 아직 진행 중입니다. 먼저 취소하세요.',
  import_file_invalid: '이 파일은 가져올 수 없습니다.',
  video_file_empty: '올린 파일이 비어 있습니다.',
  student_restore_conflict: '같은 학부모 전화번호를 가진 {name} 학생이 이미 있습니다.',
  body_empty: '메시지 내용이 비어 있습니다.',
  body_too_long: '메시지가 {length}자입니다. 최대 {limit}자까지 보낼 수 있습니다.',
  subject_not_text: '제목은 글자여야 합니다.',
  subject_too_long: '제목이 {length}자입니다. 최대 {limit}자까지 쓸 수 있습니다.',
  recipients_either_or: '받는 사람을 주소나 학생 중 한 가지 방법으로만 고르세요.',
  recipients_empty: '받는 사람이 없습니다.',
  recipients_too_many: '받는 사람이 {count}명입니다. 한 번에 최대 {limit}명까지 보낼 수 있습니다.',
  recipients_invalid: '받는 사람 {total}명 중 {count}명이 올바른 전화번호나 이메일이 아닙니다. 아무것도 보내지 않았습니다.',
  students_unknown: '고른 학생 중 {count}명이 더 이상 없습니다. 아무것도 보내지 않았습니다.',
  parent_phones_invalid: '고른 학생 중 {count}명은 올바른 학부모 전화번호가 없습니다. 아무것도 보내지 않았습니다.',
  password_wrong: '현재 비밀번호가 올바르지 않습니다.',
  password_invalid: '사용할 수 없는 새 비밀번호입니다.',
}

/** DRF's field error codes. */
const fieldEn: Table = {
  required: 'required',
  blank: 'must not be blank',
  null: 'must not be empty',
  empty: 'must not be empty',
  invalid: 'not valid',
  max_length: 'too long',
  min_length: 'too short',
  max_value: 'too large',
  min_value: 'too small',
  invalid_choice: 'not one of the choices',
  not_a_list: 'must be a list',
  max_string_length: 'too long',
  invalid_image: 'not an image',
  no_name: 'the file has no name',
}

const fieldKo: Table = {
  required: '필수 항목입니다',
  blank: '비워 둘 수 없습니다',
  null: '비워 둘 수 없습니다',
  empty: '비워 둘 수 없습니다',
  invalid: '올바르지 않습니다',
  max_length: '너무 깁니다',
  min_length: '너무 짧습니다',
  max_value: '너무 큽니다',
  min_value: '너무 작습니다',
  invalid_choice: '선택할 수 있는 값이 아닙니다',
  not_a_list: '목록이어야 합니다',
  max_string_length: '너무 깁니다',
  invalid_image: '이미지가 아닙니다',
  no_name: '파일 이름이 없습니다',
}

const fieldNames: Record<Lang, Table> = {
  en: {
    file: 'File',
    title: 'Title',
    body: 'Message',
    subject: 'Subject',
    recipients: 'Recipients',
    student_ids: 'Students',
    initial_password: 'Initial password',
    payload: 'Input',
    username: 'Username',
    password: 'Password',
    tenant_id: 'Academy ID',
  },
  ko: {
    file: '파일',
    title: '제목',
    body: '메시지',
    subject: '제목',
    recipients: '받는 사람',
    student_ids: '학생',
    initial_password: '초기 비밀번호',
    payload: '입력',
    username: '아이디',
    password: '비밀번호',
    tenant_id: '학원 ID',
  },
}

const GENERIC: Record<Lang, { error: string; field: string }> = {
  en: { error: 'The server refused the request.', field: 'Input' },
  ko: { error: '서버가 요청을 거절했습니다.', field: '입력' },
}

export type ServerParams = Readonly<Record<string, unknown>>

/** Fill `{name}` placeholders; null when a placeholder has no value (the text would show it). */
function fill(template: string, params: ServerParams): string | null {
  let missing = false
  const text = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined || value === null || typeof value === 'object') {
      missing = true
      return ''
    }
    return String(value)
  })
  return missing ? null : text
}

export const SERVER_TEXTS: Record<Lang, Table> = { en, ko }
export const FIELD_TEXTS: Record<Lang, Table> = { en: fieldEn, ko: fieldKo }

/**
 * Return the reader's text for an error code and its params. `fallback` is the server's
 * English text: shown only in English, and only when the code is unknown here.
 */
export function serverText(lang: Lang, code: string | null | undefined, params: ServerParams = {}, fallback?: string | null): string {
  const template = code ? SERVER_TEXTS[lang][code] : undefined
  const text = template ? fill(template, params) : null
  if (text) return text
  // An unknown code, or a known one without its params.
  return lang === 'en' && fallback ? fallback : GENERIC[lang].error
}

/** "Title: too long" for one field error. */
export function fieldErrorText(lang: Lang, field: string, code: string, fallback?: string): string {
  const name = field === 'non_field_errors' ? null : (fieldNames[lang][field.split('.')[0] ?? field] ?? (lang === 'en' ? field : GENERIC.ko.field))
  const known = FIELD_TEXTS[lang][code]
  const text = known ?? (lang === 'en' && fallback ? fallback : FIELD_TEXTS[lang].invalid)
  return name ? `${name}: ${text}` : (text as string)
}

/** Step codes (the server's `step_code`: the English name in snake_case). */
const STEPS: Record<Lang, Table> = {
  en: {
    probe: 'checking the file',
    transcode: 'encoding',
    poster: 'making the poster',
    finalize: 'finishing',
    parsing: 'reading the file',
    validating: 'checking the rows',
    creating_students: 'saving students',
    sending_messages: 'sending messages',
    normalising: 'reading the answers',
    scoring: 'scoring',
    checking_similarity: 'looking for copied answers',
  },
  ko: {
    probe: '파일 확인',
    transcode: '인코딩',
    poster: '표지 이미지 만들기',
    finalize: '마무리',
    parsing: '파일 읽기',
    validating: '행 확인',
    creating_students: '학생 저장',
    sending_messages: '메시지 보내기',
    normalising: '답안 읽기',
    scoring: '채점',
    checking_similarity: '비슷한 답안 찾기',
  },
}

const WORKING: Record<Lang, string> = { en: 'working', ko: '처리 중' }

/**
 * A step in the reader's language, from its code and params ("transcode", {renditions:
 * ["360p", "720p"]} -> "인코딩 360p+720p"), or from its English name when no code came
 * ("creating students" -> creating_students). An unknown step shows no English in Korean.
 */
export function stepText(lang: Lang, name: string, code?: string | null, params?: ServerParams | null): string {
  const table = STEPS[lang]
  const first = name.trim().split(/\s+/)[0] ?? ''
  const key = code || (first === 'transcode' ? first : name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_'))
  const text = table[key]
  if (!text) return lang === 'en' && name ? name : WORKING[lang]
  const renditions = Array.isArray(params?.renditions) ? params.renditions.map(String) : null
  if (key === 'transcode') {
    const parts = renditions ?? name.trim().split(/\s+/).slice(1).join(' ').split('+').filter(Boolean)
    return parts.length ? `${text} ${parts.join('+')}` : text
  }
  return text
}
