/**
 * 登录: 企业微信扫码登录 (when the server has WeCom sign-in configured), 账号密码登录, and — for API
 * tokens and the admin token — the token sign-in as a secondary tab. After WeCom, the server sends the
 * browser back to /login#wecom_code=… (a one-use code, never the session token), exchanged here.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, Input, Space, Tabs, Typography } from 'antd';
import { CommentOutlined, QrcodeOutlined } from '@ant-design/icons';
import { api, ApiError } from '../api';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';
import { LangSwitch } from '../components/LangSwitch';

interface Methods {
  password: boolean;
  token: boolean;
  wecom: boolean;
  wecom_problem: string | null;
}

export function LoginPage() {
  const { login, loginPassword, loginWeComCode } = useAuth();
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [methods, setMethods] = useState<Methods | null>(null);
  const [tab, setTab] = useState<string | null>(null);
  const [remember, setRemember] = useState(false);
  const exchanged = useRef(false);

  useEffect(() => {
    api<Methods>('GET', '/api/sessions/methods', undefined, { token: '-' })
      .then((m) => {
        setMethods(m);
        setTab((cur) => cur ?? (m.wecom ? 'wecom' : 'password'));
      })
      .catch(() => {
        setMethods({ password: true, token: true, wecom: false, wecom_problem: null });
        setTab((cur) => cur ?? 'password');
      });
    // Back from WeCom: exchange the one-use code, and take it out of the address bar at once.
    const code = new URLSearchParams(window.location.hash.slice(1)).get('wecom_code');
    if (code && !exchanged.current) {
      exchanged.current = true;
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
      setBusy(true);
      loginWeComCode(code)
        .catch((err) => setError(err instanceof ApiError && err.status === 401 ? t('login.wecomExpired') : t('login.failed', { error: (err as Error).message })))
        .finally(() => setBusy(false));
    }
  }, []);

  const failed = (err: unknown, wrong: string) => {
    if (err instanceof ApiError && err.status === 429) return t('login.locked', { seconds: String(err.body?.retry_after_s ?? '') });
    if (err instanceof ApiError && err.status === 401) return wrong;
    return t('login.failed', { error: (err as Error).message });
  };

  const submitToken = async (v: { token: string }) => {
    setBusy(true);
    setError(null);
    try {
      await login(v.token.trim(), remember);
    } catch (err) {
      setError(failed(err, t('login.wrong')));
    } finally {
      setBusy(false);
    }
  };

  const submitPassword = async (v: { name: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await loginPassword(v.name.trim(), v.password, remember);
    } catch (err) {
      setError(failed(err, t('login.wrongPassword')));
    } finally {
      setBusy(false);
    }
  };

  const startWeCom = () => {
    setBusy(true);
    window.location.assign(`/api/sessions/wecom/start?remember=${remember ? 'true' : 'false'}`);
  };

  const rememberBox = (
    <Form.Item extra={t('login.rememberHelp')} style={{ marginBottom: 12 }}>
      <Checkbox checked={remember} onChange={(e) => setRemember(e.target.checked)}>
        {t('login.remember')}
      </Checkbox>
    </Form.Item>
  );

  const items = [
    ...(methods?.wecom
      ? [
          {
            key: 'wecom',
            label: t('login.tabWeCom'),
            children: (
              <div>
                <Typography.Paragraph type="secondary">{t('login.wecomIntro')}</Typography.Paragraph>
                {rememberBox}
                <Button type="primary" icon={<QrcodeOutlined />} block size="large" onClick={startWeCom} loading={busy} data-testid="wecom-login">
                  {t('login.wecomButton')}
                </Button>
              </div>
            ),
          },
        ]
      : []),
    {
      key: 'password',
      label: t('login.tabPassword'),
      children: (
        <Form layout="vertical" onFinish={submitPassword} requiredMark={false}>
          <Form.Item label={t('login.name')} name="name" rules={[{ required: true, whitespace: true, message: t('login.nameRequired') }]}>
            <Input autoComplete="username" />
          </Form.Item>
          <Form.Item label={t('login.password')} name="password" rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {rememberBox}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="password-login">
            {t('login.submit')}
          </Button>
        </Form>
      ),
    },
    {
      key: 'token',
      label: t('login.tabToken'),
      children: (
        <Form layout="vertical" onFinish={submitToken} requiredMark={false}>
          <Typography.Paragraph type="secondary">{t('login.intro')}</Typography.Paragraph>
          <Form.Item label={t('login.token')} name="token" rules={[{ required: true, whitespace: true, message: t('login.tokenRequired') }]} extra={t('login.tokenHelp')}>
            <Input.Password autoComplete="off" placeholder={t('login.tokenPlaceholder')} />
          </Form.Item>
          {rememberBox}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="token-login">
            {t('login.submit')}
          </Button>
        </Form>
      ),
    },
  ];

  return (
    <main className="login-wrap">
      <Card className="login-card">
        <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }}>
          <Typography.Title level={3} style={{ margin: 0, color: '#07c160' }}>
            <CommentOutlined /> WeReply
          </Typography.Title>
          <LangSwitch />
        </Space>
        {tab && <Tabs destroyOnHidden activeKey={tab} onChange={(k) => { setTab(k); setError(null); }} items={items} />}
        {error && <Alert type="error" showIcon title={error} style={{ marginTop: 8 }} role="alert" />}
      </Card>
    </main>
  );
}
