import { describe, expect, it } from 'vitest'
import { translate } from '.'
import { LANGS, messages, type MessageKey } from './messages'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('the message dictionary', () => {
  const keys = Object.keys(messages.en) as MessageKey[]

  it('has every key in every language, and no other', () => {
    for (const lang of LANGS) {
      expect(Object.keys(messages[lang]).sort(), lang).toEqual([...keys].sort())
    }
  })

  it('has no empty text', () => {
    for (const lang of LANGS) {
      for (const key of keys) expect(messages[lang][key].trim(), `${lang} ${key}`).not.toBe('')
    }
  })

  it('uses the same placeholders in every language', () => {
    for (const key of keys) {
      expect(placeholders(messages.ko[key]), key).toEqual(placeholders(messages.en[key]))
    }
  })

  it('has Korean text in the Korean table wherever the English has words', () => {
    const untranslated = keys.filter((key) => messages.ko[key] === messages.en[key])
    expect(untranslated).toEqual([])
  })
})

describe('translate', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'eta.seconds', { n: 31 })).toBe('about 31 s left')
    expect(translate('ko', 'eta.seconds', { n: 31 })).toBe('약 31초 남음')
    expect(translate('en', 'eta.hours', { h: 1 })).toBe('about 1 h {m} min left')
  })
})
