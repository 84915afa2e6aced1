import { useState } from 'react';
import { Alert, Button, Card, Checkbox, Form, Input, Space, Typography } from 'antd';
import { CommentOutlined } from '@ant-design/icons';
import { ApiError } from '../api';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';
import { LangSwitch } from '../components/LangSwitch';

export function LoginPage() {
  const { login } = useAuth();
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (v: { token: string; remember?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      await login(v.token.trim(), !!v.remember);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('login.wrong') : t('login.failed', { error: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login-wrap">
      <Card className="login-card">
        <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }}>
          <Typography.Title level={3} style={{ margin: 0, color: '#07c160' }}>
            <CommentOutlined /> WeReply
          </Typography.Title>
          <LangSwitch />
        </Space>
        <Typography.Paragraph type="secondary">{t('login.intro')}</Typography.Paragraph>
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item label={t('login.token')} name="token" rules={[{ required: true, whitespace: true, message: t('login.tokenRequired') }]} extra={t('login.tokenHelp')}>
            <Input.Password autoFocus autoComplete="current-password" placeholder={t('login.tokenPlaceholder')} />
          </Form.Item>
          <Form.Item name="remember" valuePropName="checked" extra={t('login.rememberHelp')}>
            <Checkbox>{t('login.remember')}</Checkbox>
          </Form.Item>
          {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} role="alert" />}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
