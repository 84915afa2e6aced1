/** Renders a reply item as the customer would see it (text, image, video, file, link card, 小程序, menu, 转人工). */
import { useEffect, useState } from 'react';
import { Card, Space, Tag, Typography } from 'antd';
import { FileOutlined, FilePdfOutlined, LinkOutlined, PictureOutlined, VideoCameraOutlined } from '@ant-design/icons';
import { blobUrl } from '../api';
import { useI18n } from '../i18n';

export function MaterialThumb({ id, kind, size = 64 }: { id: number; kind: string; size?: number }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (kind !== 'image') return;
    let u: string | null = null;
    let live = true;
    blobUrl(`/api/materials/${id}/content`)
      .then((x) => {
        u = x;
        if (live) setUrl(x);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      if (u) URL.revokeObjectURL(u);
    };
  }, [id, kind]);
  if (kind === 'image' && url) return <img src={url} alt="" className="material-thumb" style={{ width: size, height: size }} />;
  const icon = kind === 'image' ? <PictureOutlined /> : kind === 'video' ? <VideoCameraOutlined /> : kind === 'file' ? <FilePdfOutlined /> : <FileOutlined />;
  return (
    <div className="material-thumb" style={{ width: size, height: size }} aria-hidden="true">
      {icon}
    </div>
  );
}

export function ReplyView({ item }: { item: any }) {
  const { t } = useI18n();
  switch (item?.type) {
    case 'text':
      return <span>{item.text}</span>;
    case 'image':
    case 'video':
    case 'file':
      return (
        <Space>
          <MaterialThumb id={item.material_id} kind={item.type} size={56} />
          <span>
            {t(`reply.type.${item.type}`)} #{item.material_id}
          </span>
        </Space>
      );
    case 'link':
      return (
        <Card size="small" style={{ maxWidth: 300 }}>
          <Space align="start">
            {item.thumb_material_id ? <MaterialThumb id={item.thumb_material_id} kind="image" size={48} /> : <LinkOutlined />}
            <div>
              <Typography.Text strong>{item.title}</Typography.Text>
              <div style={{ fontSize: 12, color: '#888' }}>{item.desc}</div>
              <div style={{ fontSize: 12, color: '#1677ff', wordBreak: 'break-all' }}>{item.url}</div>
            </div>
          </Space>
        </Card>
      );
    case 'miniprogram':
      return (
        <Card size="small" style={{ maxWidth: 300 }} title={<span>{t('reply.type.miniprogram')}</span>}>
          <Typography.Text strong>{item.title}</Typography.Text>
          <div style={{ fontSize: 12, color: '#888' }}>
            {item.appid} · {item.pagepath}
          </div>
        </Card>
      );
    case 'menu':
      return (
        <div>
          {item.head && <div>{item.head}</div>}
          {(item.items ?? []).map((m: any, i: number) => (
            <div key={i} style={{ color: m.type === 'text' ? undefined : '#1677ff' }}>
              {m.content}
            </div>
          ))}
          {item.tail && <div>{item.tail}</div>}
        </div>
      );
    case 'handoff':
      return (
        <span>
          <Tag color="purple">{t('reply.type.handoff')}</Tag>
          {item.text ?? (item.route ? JSON.stringify(item.route) : '')}
        </span>
      );
    default:
      return <code>{JSON.stringify(item)}</code>;
  }
}
