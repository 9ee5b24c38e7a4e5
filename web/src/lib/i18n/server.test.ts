import { describe, expect, it } from 'vitest'
import { apiErrorFromResponse } from '@/lib/api-client'
import { describeError } from '@/components/ErrorMessage'
import { translate } from '.'
import { FIELD_TEXTS, SERVER_TEXTS, fieldErrorText, serverText, stepText } from './server'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
const hangul = /[\uAC00-\uD7A3]/

describe('server texts', () => {
  it('has every code in both languages, with the same placeholders, Korean in Korean', () => {
    expect(Object.keys(SERVER_TEXTS.ko).sort()).toEqual(Object.keys(SERVER_TEXTS.en).sort())
    expect(Object.keys(FIELD_TEXTS.ko).sort()).toEqual(Object.keys(FIELD_TEXTS.en).sort())
    for (const [code, text] of Object.entries(SERVER_TEXTS.en)) {
      expect(placeholders(SERVER_TEXTS.ko[code] as string), code).toEqual(placeholders(text))
      expect(SERVER_TEXTS.ko[code], code).toMatch(hangul)
    }
  })

  it('renders a code with its params, never the English detail in Korean', () => {
    expect(serverText('ko', 'recipients_invalid', { count: 1, total: 3 }, '1 of 3 recipients are invalid')).toBe(
      '받는 사람 3명 중 1명이 올바른 전화번호나 이메일이 아닙니다. 아무것도 보내지 않았습니다.',
    )
    expect(serverText('ko', 'brand_new_code', {}, 'Some English')).toMatch(hangul)
    expect(serverText('en', 'brand_new_code', {}, 'Some English')).toBe('Some English')
    // A known code whose params are missing is not shown with a hole in it.
    expect(serverText('ko', 'body_too_long', {})).not.toContain('{')
  })

  it('names the field and the problem of a validation error', () => {
    expect(fieldErrorText('ko', 'title', 'max_length', 'Ensure this field has no more than 200 characters.')).toBe('제목: 너무 깁니다')
    expect(fieldErrorText('en', 'title', 'weird', 'Odd.')).toBe('Title: Odd.')
    expect(fieldErrorText('ko', 'whatever', 'weird', 'Odd.')).toBe('입력: 올바르지 않습니다')
  })

  it('says step names in the reader language', () => {
    expect(stepText('ko', 'transcode 360p+720p')).toBe('인코딩 360p+720p')
    expect(stepText('ko', 'creating students')).toBe('학생 저장')
    expect(stepText('ko', 'something new')).toMatch(hangul)
    expect(stepText('en', 'probe')).toBe('checking the file')
    expect(stepText('ko', 'transcode 360p+720p', 'transcode', { renditions: ['360p', '720p'] })).toBe('인코딩 360p+720p')
    expect(stepText('ko', 'creating students', 'creating_students', {})).toBe('학생 저장')
  })
})

describe('import row and failure codes', () => {
  it('says a row problem in Korean with the field in Korean', () => {
    expect(serverText('ko', 'field_required', { field: 'name' })).toBe('이름: 필수 항목입니다.')
    expect(serverText('ko', 'phone_wrong_length', { field: 'parent_phone', value: '010-123', digits: 6 })).toBe(
      '학부모 전화번호 "010-123"은(는) 6자리입니다. 010 번호는 11자리입니다.',
    )
    expect(serverText('ko', 'row_duplicate', { first_row: 3 })).toBe('이 파일의 3행과 중복됩니다.')
  })

  it('says every problem of a row with several', () => {
    const params = { problems: [{ code: 'field_required', params: { field: 'name' } }, { code: 'gender_invalid', params: { value: '기타' } }] }
    expect(serverText('ko', 'row_problems', params)).toBe('이름: 필수 항목입니다. 성별 "기타"은(는) 남/여 또는 M/F가 아닙니다.')
  })
})

describe('describeError', () => {
  const t = (lang: 'en' | 'ko') => (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate(lang, key, params)

  it('shows a message error of the server in Korean, with no raw keys or JSON', () => {
    const body = JSON.stringify({
      detail: '1 of 2 recipients are invalid; nothing was sent.',
      code: 'recipients_invalid',
      params: { count: 1, total: 2 },
      invalid_recipients: [{ index: 1, value: 'x', reason: 'not a phone' }],
    })
    const lines = describeError(apiErrorFromResponse(400, body), t('ko'), 'ko')
    expect(lines).toEqual(['받는 사람 2명 중 1명이 올바른 전화번호나 이메일이 아닙니다. 아무것도 보내지 않았습니다.'])
  })

  it('lists each field of a validation error by its code', () => {
    const body = JSON.stringify({
      detail: 'Invalid input.',
      code: 'invalid',
      params: { fields: { title: [{ code: 'max_length', message: 'Ensure this field has no more than 200 characters.' }] } },
      title: ['Ensure this field has no more than 200 characters.'],
    })
    expect(describeError(apiErrorFromResponse(400, body), t('ko'), 'ko')).toEqual(['제목: 너무 깁니다'])
    expect(describeError(apiErrorFromResponse(400, body), t('en'), 'en')).toEqual(['Title: too long'])
  })

  it('reads the login failure and an HTML error page', () => {
    const login = JSON.stringify({ detail: 'No active account found', code: 'login_failed', params: {} })
    expect(describeError(apiErrorFromResponse(401, login), t('ko'), 'ko')).toEqual(['아이디, 비밀번호 또는 학원 ID가 올바르지 않습니다.'])
    expect(describeError(apiErrorFromResponse(502, '<html>bad gateway</html>'), t('ko'), 'ko')).toEqual([
      translate('ko', 'error.http', { status: 502 }),
    ])
  })
})
