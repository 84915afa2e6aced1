/**
 * One dictionary for every UI string: zh-CN by default, English by switch (kept in localStorage).
 * `t('key', {var})` fills {var} placeholders; a missing key shows the key itself.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { dict } from './dict';

export type Lang = 'zh' | 'en';
const KEY = 'wereply.lang';

interface I18n {
  lang: Lang;
  setLang(l: Lang): void;
  t(key: string, vars?: Record<string, string | number>): string;
}

const I18nContext = createContext<I18n | null>(null);

/** Users who ask their system for less motion get no antd animations. */
const reducedMotion = typeof window !== 'undefined' && !!window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

export function translate(lang: Lang, key: string, vars?: Record<string, string | number>): string {
  const entry = dict[key];
  // A key without an entry (an unknown state or event from the server) shows its last part.
  let s = entry ? entry[lang === 'zh' ? 0 : 1] : key.slice(key.lastIndexOf('.') + 1);
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    try {
      return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh';
    } catch {
      return 'zh';
    }
  });
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(KEY, l);
    } catch {
      /* storage disabled */
    }
  }, []);
  const t = useCallback((key: string, vars?: Record<string, string | number>) => translate(lang, key, vars), [lang]);
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  if (typeof document !== 'undefined') document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ zeroRuntime: true, token: { colorPrimary: '#07c160', borderRadius: 6, motion: !reducedMotion } }}>
        <AntApp>{children}</AntApp>
      </ConfigProvider>
    </I18nContext.Provider>
  );
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
