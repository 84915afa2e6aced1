/**
 * 设置 → 账号: who may sign in and how — set or clear an operator's password, link their WeCom userid
 * (for 企业微信扫码登录); and 我的密码 for the person signed in. Shapes: /docs (operators).
 */
import { useEffect, useState } from 'react';
import { App as AntApp, Button, Card, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { api, del, get, patch, put } from '../../api';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';

interface Operator {
  id: number;
  name: string;
  role: string;
  servicer_userid: string | null;
  disabled: boolean;
  has_password: boolean;
  password_set_at: number | null;
}

type Editing = { kind: 'password' | 'wecom'; op: Operator } | null;

export function OperatorsCard() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [ops, setOps] = useState<Operator[]>([]);
  const [editing, setEditing] = useState<Editing>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();

  const load = () =>
    get<Operator[]>('/api/operators')
      .then(setOps)
      .catch((e) => message.error(e.message));
  useEffect(() => {
    void load();
  }, []);

  const open = (kind: 'password' | 'wecom', op: Operator) => {
    form.resetFields();
    if (kind === 'wecom') form.setFieldsValue({ userid: op.servicer_userid ?? '' });
    setEditing({ kind, op });
  };

  const save = async () => {
    if (!editing) return;
    const v = await form.validateFields();
    setBusy(true);
    try {
      if (editing.kind === 'password') {
        await put(`/api/operators/${editing.op.id}/password`, { password: v.password });
        message.success(t('operators.passwordSet'));
      } else {
        const userid = String(v.userid ?? '').trim();
        await patch(`/api/operators/${editing.op.id}`, { servicer_userid: userid || null });
        message.success(t('operators.wecomSaved'));
      }
      setEditing(null);
      void load();
    } catch (e) {
      // The server says why (too short, a well-known password …): shown under the field.
      form.setFields([{ name: editing.kind === 'password' ? 'password' : 'userid', errors: [(e as Error).message] }]);
    } finally {
      setBusy(false);
    }
  };

  const clear = async (op: Operator) => {
    try {
      await del(`/api/operators/${op.id}/password`);
      message.success(t('operators.passwordCleared'));
      void load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Card size="small" title={t('operators.title')} data-testid="operators">
      <Typography.Paragraph type="secondary">{t('operators.help')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="id"
        dataSource={ops}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 640 }}
        columns={[
          { title: t('operators.name'), dataIndex: 'name', render: (v, r) => (r.disabled ? <Space>{v}<Tag>{t('operators.disabled')}</Tag></Space> : v) },
          { title: t('operators.role'), dataIndex: 'role', width: 100, render: (v) => t(`role.${v}`) },
          { title: t('operators.wecom'), dataIndex: 'servicer_userid', render: (v) => v ?? '—' },
          { title: t('operators.password'), dataIndex: 'has_password', width: 90, render: (v) => (v ? <Tag color="green">{t('operators.hasPassword')}</Tag> : <Tag>{t('operators.noPassword')}</Tag>) },
          {
            title: '',
            key: 'actions',
            width: 280,
            render: (_, r) => (
              <Space wrap>
                <Button size="small" onClick={() => open('password', r)} data-testid={`set-password-${r.name}`}>
                  {t('operators.setPassword')}
                </Button>
                {r.has_password && (
                  <Popconfirm title={t('operators.clearConfirm')} onConfirm={() => clear(r)}>
                    <Button size="small" danger>
                      {t('operators.clearPassword')}
                    </Button>
                  </Popconfirm>
                )}
                <Button size="small" onClick={() => open('wecom', r)}>
                  {t('operators.editWecom')}
                </Button>
              </Space>
            ),
          },
        ]}
      />
      <Modal
        open={!!editing}
        title={editing ? `${editing.kind === 'password' ? t('operators.setPassword') : t('operators.editWecom')} — ${editing.op.name}` : ''}
        onOk={save}
        okButtonProps={{ loading: busy, 'data-testid': 'operator-save' } as never}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={save}>
          {editing?.kind === 'password' ? (
            <Form.Item name="password" label={t('operators.newPassword')} extra={t('operators.passwordHelp')} rules={[{ required: true, min: 10 }]}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          ) : (
            <Form.Item name="userid" label={t('operators.wecom')} extra={t('operators.wecomHelp')} rules={[{ max: 64 }]}>
              <Input />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </Card>
  );
}

/** 我的密码: change one's own password (the current one is needed when there is one). */
export function MyPasswordCard() {
  const { t } = useI18n();
  const { me } = useAuth();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  if (!me || me.name === 'admin') return null;
  const submit = async (v: { old_password?: string; password: string }) => {
    setBusy(true);
    try {
      const r = await api<{ ended_sessions: number }>('PUT', '/api/me/password', { ...(v.old_password ? { old_password: v.old_password } : {}), password: v.password });
      message.success(t('me.passwordChanged', { n: r.ended_sessions }));
      form.resetFields();
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card size="small" title={t('me.password')}>
      <Form form={form} layout="vertical" onFinish={submit} style={{ maxWidth: 420 }}>
        <Form.Item name="old_password" label={t('me.oldPassword')} extra={t('me.oldPasswordHelp')}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="password" label={t('operators.newPassword')} extra={t('operators.passwordHelp')} rules={[{ required: true, min: 10 }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('me.changePassword')}
        </Button>
      </Form>
    </Card>
  );
}
