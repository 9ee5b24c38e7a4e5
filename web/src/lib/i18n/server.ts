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
  import_file_bad_compression: 'The file uses a compression method Excel does not write.',
  import_file_damaged: 'The file is damaged and cannot be read as .xlsx.',
  import_file_empty: 'The file is empty.',
  import_file_encrypted: 'The file is password-protected; save it without a password.',
  import_file_encrypted_or_xls: 'The file is password-protected or an old .xls; save it as .xlsx without a password.',
  import_file_not_xlsx: 'The file is not an Excel .xlsx workbook.',
  import_file_too_large: 'The file is too large.',
  import_file_too_many_parts: 'The file has too many parts to be a roster workbook.',
  import_file_unpacks_too_large: 'The file unpacks to more than a roster can hold.',
  import_file_unreadable: 'The workbook cannot be read.',
  import_file_xlsb: 'Binary .xlsb workbooks are not supported; save as .xlsx.',
  import_file_zip_bomb: 'The file unpacks to far more than its size: it is refused.',
  import_header_no_name: 'Row {row} is the header, but it has no name column.',
  import_header_no_parent_phone: 'Row {row} is the header, but it has no parent phone column.',
  import_no_sheets: 'The workbook has no sheets.',
  import_sheet_empty: 'The first sheet is empty.',
  import_sheet_out_of_range: 'The sheet refers to cells outside Excel\'s sheet size.',
  import_sheet_too_large: 'The sheet is too large for a roster.',
  import_too_many_rows: 'The roster has more than {limit} rows.',
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
  // Import rows, recipients, failed tasks
  field_required: '{field} is required.',
  field_too_long: '{field} is longer than {limit} characters.',
  gender_invalid: 'Gender "{value}" is not 남/여 or M/F.',
  grade_not_whole: 'Grade {value} is not a whole number.',
  grade_unreadable: 'Grade "{value}" is not a grade like 3, 3학년 or 고3.',
  grade_out_of_range: 'Grade {value} is not between 1 and 12.',
  grade_does_not_exist: 'Grade "{value}" does not exist.',
  row_duplicate: 'Duplicate of row {first_row} in this file.',
  row_not_saved: 'The row could not be saved.',
  phone_empty: '{field} is empty.',
  phone_not_a_number: '{field} "{value}" is not a phone number.',
  phone_not_digits: '{field} "{value}" has characters other than digits.',
  phone_retired_prefix: '{field} "{value}" uses the retired {prefix} prefix; use the 010 number.',
  phone_not_010: '{field} "{value}" is not a mobile number starting with 010.',
  phone_wrong_length: '{field} "{value}" has {digits} digits; a 010 number has 11.',
  phone_not_korean: '{field} "{value}" is not a Korean (+82) number.',
  email_invalid: 'Not a valid e-mail address: {value}',
  recipient_empty: 'The recipient is empty.',
  recipient_not_text: 'The recipient is not text.',
  import_file_foreign: 'The roster file belongs to another academy.',
  import_file_gone: 'The uploaded roster file is gone; upload it again.',
  message_gone: 'The message to send no longer exists.',
  sending_stopped: 'Sending stopped: the messaging service did not answer.',
  internal_error: 'Something went wrong on the server.',
  task_stuck: 'The task stopped responding and was ended.',
  video_audio_only: 'The file has no video stream (only audio).',
  video_corrupt: 'The video could not be decoded (corrupt data).',
  video_disk_full: 'The video could not be saved: the server is out of disk space.',
  video_encode_failed: 'The video could not be encoded.',
  video_encoder_crashed: 'The encoder stopped unexpectedly.',
  video_no_duration: 'The length of the video could not be read.',
  video_no_picture_size: 'The video has no readable picture size.',
  video_no_poster_frame: 'The video has no frame to show as a poster.',
  video_no_stream: 'The file has no video stream.',
  video_probe_timeout: 'The file took too long to read.',
  video_source_missing: 'The uploaded file is gone; upload it again.',
  video_too_long: 'The video is longer than the limit of {limit_seconds} seconds.',
  video_unreadable: 'The file is not a video we can read.',
  video_cancelled: 'The encoding was cancelled.',
  video_encode_timeout: 'The video took too long to encode.',
  video_process_timeout: 'The video took too long to process.',
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
  import_file_bad_compression: '엑셀이 쓰지 않는 압축 방식의 파일입니다.',
  import_file_damaged: '파일이 손상되어 .xlsx로 읽을 수 없습니다.',
  import_file_empty: '파일이 비어 있습니다.',
  import_file_encrypted: '암호가 걸린 파일입니다. 암호 없이 저장해 주세요.',
  import_file_encrypted_or_xls: '암호가 걸렸거나 예전 .xls 파일입니다. 암호 없이 .xlsx로 저장해 주세요.',
  import_file_not_xlsx: '엑셀 .xlsx 파일이 아닙니다.',
  import_file_too_large: '파일이 너무 큽니다.',
  import_file_too_many_parts: '명단 파일이라기에는 구성 요소가 너무 많습니다.',
  import_file_unpacks_too_large: '압축을 풀면 명단이 담을 수 있는 크기를 넘습니다.',
  import_file_unreadable: '엑셀 파일을 읽을 수 없습니다.',
  import_file_xlsb: '바이너리 .xlsb 파일은 지원하지 않습니다. .xlsx로 저장해 주세요.',
  import_file_zip_bomb: '압축을 풀면 크기보다 훨씬 커지는 파일이라 받지 않습니다.',
  import_header_no_name: '{row}행이 머리글인데 이름 열이 없습니다.',
  import_header_no_parent_phone: '{row}행이 머리글인데 학부모 전화번호 열이 없습니다.',
  import_no_sheets: '엑셀 파일에 시트가 없습니다.',
  import_sheet_empty: '첫 번째 시트가 비어 있습니다.',
  import_sheet_out_of_range: '시트가 엑셀의 크기를 벗어난 칸을 가리킵니다.',
  import_sheet_too_large: '명단으로 쓰기에는 시트가 너무 큽니다.',
  import_too_many_rows: '명단이 {limit}행을 넘습니다.',
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
  field_required: '{field}: 필수 항목입니다.',
  field_too_long: '{field}: {limit}자를 넘습니다.',
  gender_invalid: '성별 "{value}"은(는) 남/여 또는 M/F가 아닙니다.',
  grade_not_whole: '학년 {value}은(는) 정수가 아닙니다.',
  grade_unreadable: '학년 "{value}"을(를) 읽을 수 없습니다 (예: 3, 3학년, 고3).',
  grade_out_of_range: '학년 {value}은(는) 1에서 12 사이가 아닙니다.',
  grade_does_not_exist: '학년 "{value}"은(는) 없는 학년입니다.',
  row_duplicate: '이 파일의 {first_row}행과 중복됩니다.',
  row_not_saved: '이 행을 저장하지 못했습니다.',
  phone_empty: '{field}: 비어 있습니다.',
  phone_not_a_number: '{field} "{value}"은(는) 전화번호가 아닙니다.',
  phone_not_digits: '{field} "{value}"에 숫자가 아닌 문자가 있습니다.',
  phone_retired_prefix: '{field} "{value}"은(는) 더 이상 쓰지 않는 {prefix} 번호입니다. 010 번호를 쓰세요.',
  phone_not_010: '{field} "{value}"은(는) 010으로 시작하는 휴대전화 번호가 아닙니다.',
  phone_wrong_length: '{field} "{value}"은(는) {digits}자리입니다. 010 번호는 11자리입니다.',
  phone_not_korean: '{field} "{value}"은(는) 한국(+82) 번호가 아닙니다.',
  email_invalid: '올바른 이메일 주소가 아닙니다: {value}',
  recipient_empty: '받는 사람이 비어 있습니다.',
  recipient_not_text: '받는 사람이 글자가 아닙니다.',
  import_file_foreign: '다른 학원의 명단 파일입니다.',
  import_file_gone: '올린 명단 파일이 없어졌습니다. 다시 올려 주세요.',
  message_gone: '보낼 메시지가 더 이상 없습니다.',
  sending_stopped: '메시지 서비스가 응답하지 않아 보내기를 멈췄습니다.',
  internal_error: '서버에서 문제가 생겼습니다.',
  task_stuck: '작업이 응답하지 않아 종료되었습니다.',
  video_audio_only: '파일에 영상이 없습니다 (소리만 있습니다).',
  video_corrupt: '영상 데이터가 손상되어 읽을 수 없습니다.',
  video_disk_full: '서버의 저장 공간이 부족해 영상을 저장하지 못했습니다.',
  video_encode_failed: '영상을 인코딩하지 못했습니다.',
  video_encoder_crashed: '인코더가 예기치 않게 멈췄습니다.',
  video_no_duration: '영상 길이를 읽을 수 없습니다.',
  video_no_picture_size: '영상의 화면 크기를 읽을 수 없습니다.',
  video_no_poster_frame: '표지로 쓸 장면이 없습니다.',
  video_no_stream: '파일에 영상이 없습니다.',
  video_probe_timeout: '파일을 읽는 데 너무 오래 걸렸습니다.',
  video_source_missing: '올린 파일이 없어졌습니다. 다시 올려 주세요.',
  video_too_long: '영상이 {limit_seconds}초 한도보다 깁니다.',
  video_unreadable: '읽을 수 있는 영상 파일이 아닙니다.',
  video_cancelled: '인코딩이 취소되었습니다.',
  video_encode_timeout: '영상 인코딩이 너무 오래 걸렸습니다.',
  video_process_timeout: '영상 처리가 너무 오래 걸렸습니다.',
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
    name: 'Name',
    parent_phone: 'Parent phone',
    phone: 'Phone',
    school: 'School',
    school_type: 'School type',
    grade: 'Grade',
    class_name: 'Class',
    major: 'Major',
    gender: 'Gender',
    memo: 'Memo',
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
    name: '이름',
    parent_phone: '학부모 전화번호',
    phone: '학생 전화번호',
    school: '학교',
    school_type: '학교구분',
    grade: '학년',
    class_name: '반',
    major: '전공',
    gender: '성별',
    memo: '메모',
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
  // A row with several problems lists each in params.problems: say each one.
  if (code === 'row_problems' && Array.isArray(params.problems)) {
    return params.problems
      .map((problem: { code?: string; params?: ServerParams }) => serverText(lang, problem?.code, problem?.params ?? {}))
      .join(' ')
  }
  const template = code ? SERVER_TEXTS[lang][code] : undefined
  // The field a code names is the reader's word for it ("parent_phone" -> "학부모 전화번호").
  const named = typeof params.field === 'string' ? params.field : code?.startsWith('phone_') ? 'phone' : null
  const filled = named ? { ...params, field: fieldNames[lang][named] ?? fieldNames[lang].phone } : params
  const text = template ? fill(template, filled) : null
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
