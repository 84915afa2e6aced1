/** 中文 / EN switch, on the login page and in the console's header. */
import { Segmented } from 'antd';
import { useI18n } from '../i18n';

export function LangSwitch() {
  const { lang, setLang } = useI18n();
  return (
    <Segmented
      size="small"
      aria-label="Language / 语言"
      value={lang}
      onChange={(v) => setLang(v as 'zh' | 'en')}
      options={[
        { label: '中文', value: 'zh' },
        { label: 'EN', value: 'en' },
      ]}
    />
  );
}
