/** 接待方式: the desk per kf account (WeReply 接待 / 企业微信客户端接待), optionally per routing group (PUT /api/desks). */
import { useEffect, useState } from 'react';
import { App as AntApp, Button, Card, Input, Select, Space, Table, Typography } from 'antd';
import { get, put } from '../../api';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';

type Desk = 'wecom' | 'wereply';
interface Desks {
  default: Desk;
  accounts: Record<string, Desk>;
  groups: Record<string, Desk>;
}

export function DeskSettings({ kfAccounts }: { kfAccounts: string[] }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const [desks, setDesks] = useState<Desks | null>(null);
  const [groups, setGroups] = useState<{ id: string; name: string }[]>([]);
  const [extra, setExtra] = useState('');
  useEffect(() => {
    get<Desks>('/api/desks').then(setDesks).catch((e) => message.error(e.message));
    get<{ config: { groups: { id: string; name: string }[] } }>('/api/routing')
      .then((r) => setGroups(r.config.groups))
      .catch(() => undefined);
  }, []);
  if (!desks) return null;
  const editable = can('routing:write');
  const deskOptions = [
    { value: 'wereply', label: t('desk.wereply') },
    { value: 'wecom', label: t('desk.wecom') },
  ];
  const accounts = [...new Set([...kfAccounts, ...Object.keys(desks.accounts)])];
  const save = async () => {
    try {
      setDesks(await put<Desks>('/api/desks', desks));
      message.success(t('desk.saved'));
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  return (
    <Card size="small" title={t('desk.settings')} data-testid="desk-settings">
      <Typography.Paragraph type="secondary">{t('desk.settingsHelp')}</Typography.Paragraph>
      <Table
        size="small"
        pagination={false}
        rowKey="key"
        dataSource={[
          ...accounts.map((kf) => ({ key: `kf:${kf}`, label: kf, value: desks.accounts[kf] ?? desks.default, set: (v: Desk) => setDesks({ ...desks, accounts: { ...desks.accounts, [kf]: v } }) })),
          { key: 'default', label: t('desk.default'), value: desks.default, set: (v: Desk) => setDesks({ ...desks, default: v }) },
        ]}
        columns={[
          { title: t('desk.account'), dataIndex: 'label' },
          { title: t('desk.settings'), render: (_: unknown, r: any) => <Select aria-label={`${t('desk.settings')} ${r.label}`} disabled={!editable} value={r.value} options={deskOptions} onChange={r.set} style={{ width: 200 }} data-testid={`desk-select-${r.label}`} /> },
        ]}
      />
      {editable && (
        <Space.Compact style={{ marginTop: 8 }}>
          <Input placeholder="open_kfid" value={extra} onChange={(e) => setExtra(e.target.value)} aria-label={t('desk.addAccount')} />
          <Button onClick={() => extra.trim() && (setDesks({ ...desks, accounts: { ...desks.accounts, [extra.trim()]: desks.default } }), setExtra(''))}>{t('desk.addAccount')}</Button>
        </Space.Compact>
      )}
      {groups.length > 0 && (
        <Table
          size="small"
          style={{ marginTop: 12 }}
          pagination={false}
          rowKey="id"
          dataSource={groups}
          columns={[
            { title: t('desk.group'), render: (_: unknown, g: { id: string; name: string }) => `${g.name} (${g.id})` },
            {
              title: t('desk.settings'),
              render: (_: unknown, g: { id: string; name: string }) => (
                <Select
                  aria-label={`${t('desk.group')} ${g.id}`}
                  disabled={!editable}
                  value={desks.groups[g.id] ?? ''}
                  style={{ width: 200 }}
                  options={[{ value: '', label: t('desk.inherit') }, ...deskOptions]}
                  onChange={(v: string) => {
                    const next = { ...desks.groups };
                    if (v) next[g.id] = v as Desk;
                    else delete next[g.id];
                    setDesks({ ...desks, groups: next });
                  }}
                />
              ),
            },
          ]}
        />
      )}
      {editable && (
        <Button type="primary" style={{ marginTop: 12 }} onClick={save} data-testid="desk-save">
          {t('common.save')}
        </Button>
      )}
    </Card>
  );
}
