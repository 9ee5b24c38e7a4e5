import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { LANGS, messages, type Lang, type MessageKey } from './messages'

export type { Lang, MessageKey } from './messages'

export type Params = Record<string, string | number>
export type Translate = (key: MessageKey, params?: Params) => string

/** Look up a message and fill its `{name}` placeholders. */
export function translate(lang: Lang, key: MessageKey, params: Params = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  )
}

const STORAGE_KEY = 'academy.lang'

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved && (LANGS as readonly string[]).includes(saved)) return saved as Lang
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en'
}

type I18n = { lang: Lang; setLang: (lang: Lang) => void; t: Translate }

const I18nContext = createContext<I18n | null>(null)

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang)

  useEffect(() => {
    document.documentElement.lang = lang
  }, [lang])

  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next)
    setLangState(next)
  }, [])

  const value = useMemo<I18n>(
    () => ({ lang, setLang, t: (key, params) => translate(lang, key, params) }),
    [lang, setLang],
  )
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>
}

export function useI18n(): I18n {
  const context = useContext(I18nContext)
  if (!context) throw new Error('useI18n needs an <I18nProvider> above it')
  return context
}
