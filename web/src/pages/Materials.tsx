/**
 * 素材库: drag and drop images, videos and PDFs; the server decides the type by the bytes and
 * applies WeCom's limits, and its answer is shown as is when a file is refused.
 */
import { useEffect, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Modal, Progress, Select, Space, Table, Tag, Typography, Upload } from 'antd';
import { InboxOutlined } from '@ant-design/icons';
import { ApiError, blobUrl, get, upload } from '../api';
import { MaterialThumb } from '../components/Reply';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';

interface Material {
  id: number;
  kind: string;
  filename: string;
  mime: string;
  size: number;
  created_at: number;
  media_id_expires_at: number | null;
}

const MAX = 20 * 1024 * 1024;

export function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KB` : `${n} B`;
}

export default function MaterialsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const [list, setList] = useState<Material[] | null>(null);
  const [kind, setKind] = useState<string>('auto');
  const [uploads, setUploads] = useState<{ name: string; percent: number; error?: string; done?: boolean }[]>([]);
  const [preview, setPreview] = useState<{ m: Material; url: string } | null>(null);

  const load = () =>
    get<Material[]>('/api/materials')
      .then((x) => setList([...x].sort((a, b) => b.id - a.id)))
      .catch((e) => message.error(e.message));
  useEffect(() => {
    void load();
  }, []);

  const setUpload = (name: string, patch: Partial<{ percent: number; error: string; done: boolean }>) => setUploads((xs) => xs.map((x) => (x.name === name ? { ...x, ...patch } : x)));

  const send = async (file: File) => {
    setUploads((xs) => [{ name: file.name, percent: 0 }, ...xs.filter((x) => x.name !== file.name)].slice(0, 8));
    if (file.size > MAX) {
      setUpload(file.name, { error: t('materials.tooBig', { size: formatSize(file.size) }) });
      return;
    }
    const form = new FormData();
    if (kind !== 'auto') form.append('kind', kind);
    form.append('file', file, file.name);
    try {
      const m = await upload<Material>('/api/materials', form, (percent) => setUpload(file.name, { percent }));
      setUpload(file.name, { percent: 100, done: true });
      message.success(t('materials.uploaded', { name: m.filename, kind: t(`reply.type.${m.kind}`) }));
      await load();
    } catch (e) {
      const msg = e instanceof ApiError ? (e.status === 415 || e.status === 413 || e.status === 400 ? e.message : `${e.status}: ${e.message}`) : (e as Error).message;
      setUpload(file.name, { error: msg });
    }
  };

  const open = async (m: Material) => {
    try {
      setPreview({ m, url: await blobUrl(`/api/materials/${m.id}/content`) });
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  const close = () => {
    if (preview) URL.revokeObjectURL(preview.url);
    setPreview(null);
  };

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      {can('materials:write') && (
        <Card size="small" title={t('materials.upload')}>
          <Space style={{ marginBottom: 8 }} wrap>
            <label htmlFor="material-kind">{t('materials.kind')}</label>
            <Select
              id="material-kind"
              value={kind}
              onChange={setKind}
              style={{ width: 160 }}
              options={['auto', 'image', 'video', 'file', 'voice'].map((k) => ({ value: k, label: k === 'auto' ? t('materials.kindAuto') : t(`reply.type.${k}`) }))}
            />
          </Space>
          <Upload.Dragger
            multiple
            showUploadList={false}
            accept="image/png,image/jpeg,video/mp4,application/pdf,audio/amr,.amr,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.zip,.txt"
            customRequest={({ file }) => void send(file as File)}
            aria-label={t('materials.drop')}
            data-testid="dropzone"
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{t('materials.drop')}</p>
            <p className="ant-upload-hint">{t('materials.limits')}</p>
          </Upload.Dragger>
          {uploads.length > 0 && (
            <div style={{ marginTop: 12 }} aria-live="polite">
              {uploads.map((u) => (
                <div key={u.name} data-testid="upload-row">
                  <Typography.Text>{u.name}</Typography.Text>
                  {u.error ? (
                    <Alert type="error" showIcon title={t('materials.refused', { name: u.name })} description={u.error} style={{ margin: '4px 0 8px' }} role="alert" data-testid="upload-error" />
                  ) : (
                    <Progress percent={u.percent} size="small" status={u.done ? 'success' : 'active'} aria-label={t('materials.progress', { name: u.name })} />
                  )}
                </div>
              ))}
            </div>
          )}
        </Card>
      )}
      <Card size="small" title={t('materials.library')}>
        <Table<Material>
          rowKey="id"
          size="small"
          loading={!list}
          dataSource={list ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          scroll={{ x: 'max-content' }}
          columns={[
            { title: '', width: 76, render: (_, m) => <MaterialThumb id={m.id} kind={m.kind} size={48} /> },
            { title: t('materials.name'), dataIndex: 'filename', render: (v, m) => <span data-testid="material-name">#{m.id} {v}</span> },
            { title: t('materials.kind'), dataIndex: 'kind', width: 90, render: (k) => <Tag>{t(`reply.type.${k}`)}</Tag> },
            { title: t('materials.size'), dataIndex: 'size', width: 100, responsive: ['sm'], render: formatSize },
            { title: t('materials.created'), dataIndex: 'created_at', width: 170, responsive: ['md'], render: (v) => new Date(v).toLocaleString() },
            {
              title: '',
              width: 90,
              render: (_, m) => (
                <Button size="small" onClick={() => open(m)}>
                  {t('materials.preview')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      <Modal open={!!preview} onCancel={close} footer={null} width={820} title={preview?.m.filename} destroyOnHidden>
        {preview && preview.m.kind === 'image' && <img src={preview.url} alt={preview.m.filename} style={{ maxWidth: '100%' }} />}
        {preview && preview.m.kind === 'video' && <video src={preview.url} controls style={{ maxWidth: '100%' }} />}
        {preview && preview.m.kind === 'voice' && <audio src={preview.url} controls />}
        {preview && preview.m.kind === 'file' && (preview.m.mime === 'application/pdf' ? <iframe title={preview.m.filename} src={preview.url} style={{ width: '100%', height: '70vh', border: 0 }} /> : <a href={preview.url} download={preview.m.filename}>{t('materials.download')}</a>)}
      </Modal>
    </Space>
  );
}
