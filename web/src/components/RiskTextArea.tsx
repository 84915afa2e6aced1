/**
 * A text area that highlights compliance findings inline while typing (red = block, amber = warn),
 * lists each with its reason and offers one-click rewrites.
 */
import { Fragment, useRef } from 'react';
import { Button, Input, Space, Tag, Tooltip, Typography } from 'antd';
import { useComplianceScan, type Finding } from '../compliance';
import { useI18n } from '../i18n';

interface Props {
  id?: string;
  value?: string;
  onChange?: (v: string) => void;
  placeholder?: string;
  rows?: number;
  'aria-label'?: string;
  'aria-describedby'?: string;
  maxBytes?: number;
  /** Change it to scan the same text again (e.g. after the risk-word library changed). */
  scanVersion?: number;
}

export function RiskTextArea({ id, value = '', onChange, placeholder, rows = 3, maxBytes, scanVersion = 0, ...aria }: Props) {
  const { t } = useI18n();
  const { scan, available } = useComplianceScan(value, true, scanVersion);
  const backdrop = useRef<HTMLDivElement>(null);
  const findings = scan?.findings ?? [];
  const bytes = new TextEncoder().encode(value).length;

  const apply = (f: Finding, suggestion: string) => {
    if (value.slice(f.start, f.end) !== f.matched && scan?.text !== value) return;
    onChange?.(value.slice(0, f.start) + suggestion + value.slice(f.end));
  };

  const parts: React.ReactNode[] = [];
  let at = 0;
  const sorted = [...findings].filter((f) => f.end > f.start).sort((a, b) => a.start - b.start);
  sorted.forEach((f, i) => {
    if (f.start < at) return;
    parts.push(<Fragment key={`t${i}`}>{value.slice(at, f.start)}</Fragment>);
    parts.push(
      <mark key={`m${i}`} className={`risk ${f.severity}`} data-word={f.word}>
        {value.slice(f.start, f.end)}
      </mark>,
    );
    at = f.end;
  });
  parts.push(<Fragment key="rest">{value.slice(at) + '\n'}</Fragment>);
  const findingsId = id ? `${id}-findings` : undefined;

  return (
    <div>
      <div className="risk-editor">
        <div className="backdrop" ref={backdrop} aria-hidden="true">
          {parts}
        </div>
        <textarea
          id={id}
          value={value}
          rows={rows}
          placeholder={placeholder}
          aria-label={aria['aria-label']}
          aria-describedby={[aria['aria-describedby'], findings.length ? findingsId : undefined].filter(Boolean).join(' ') || undefined}
          aria-invalid={findings.some((f) => f.severity === 'block') || undefined}
          onChange={(e) => onChange?.(e.target.value)}
          onScroll={(e) => {
            if (backdrop.current) backdrop.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
      <Space size={12} style={{ fontSize: 12, color: '#888', marginTop: 2 }}>
        {maxBytes && (
          <span style={{ color: bytes > maxBytes ? '#ff4d4f' : undefined }}>
            {bytes} / {maxBytes} {t('common.bytes')}
          </span>
        )}
        {!available && <span>{t('compliance.unavailable')}</span>}
      </Space>
      <Findings id={findingsId} findings={sorted} onRewrite={apply} />
    </div>
  );
}

/** Each finding with its reason and one-click rewrites (shared by the text area and the one-line input). */
function Findings({ id, findings, onRewrite }: { id: string | undefined; findings: Finding[]; onRewrite: (f: Finding, suggestion: string) => void }) {
  const { t } = useI18n();
  if (!findings.length) return null;
  return (
    <div className="findings" id={id} role="status" aria-live="polite" data-testid="findings">
      {findings.map((f, i) => (
        <div className="finding" key={`${f.start}-${i}`} data-testid="finding">
          <Tag color={f.severity === 'block' ? 'red' : 'orange'}>{f.severity === 'block' ? t('compliance.block') : t('compliance.warn')}</Tag>
          <Tooltip title={f.category}>
            <Typography.Text strong>「{f.matched}」</Typography.Text>
          </Tooltip>
          <Typography.Text type="secondary">
            {f.category} · {f.reason}
          </Typography.Text>
          {f.suggestions.slice(0, 4).map((s) => (
            <Button key={s} size="small" type="dashed" onClick={() => onRewrite(f, s)} aria-label={t('compliance.rewriteTo', { word: f.matched, suggestion: s })} data-testid="rewrite">
              {t('compliance.rewrite')} → {s || t('compliance.remove')}
            </Button>
          ))}
        </div>
      ))}
    </div>
  );
}

/**
 * A one-line input (link and mini-program titles, menu texts) checked like the reply text: the border
 * turns red/amber and the findings with their rewrites show below (or, `compact`, in a tooltip).
 */
export function RiskInput({ id, value = '', onChange, placeholder, compact, style, ...aria }: Omit<Props, 'rows' | 'maxBytes' | 'scanVersion'> & { compact?: boolean; style?: React.CSSProperties }) {
  const { t } = useI18n();
  const { scan } = useComplianceScan(value, true, 0);
  const findings = [...(scan?.findings ?? [])].filter((f) => f.end > f.start).sort((a, b) => a.start - b.start);
  const apply = (f: Finding, suggestion: string) => {
    if (value.slice(f.start, f.end) !== f.matched && scan?.text !== value) return;
    onChange?.(value.slice(0, f.start) + suggestion + value.slice(f.end));
  };
  const status = findings.some((f) => f.severity === 'block') ? 'error' : findings.length ? 'warning' : undefined;
  const findingsId = id ? `${id}-findings` : undefined;
  const input = (
    <Input
      id={id}
      value={value}
      placeholder={placeholder}
      style={style}
      status={status}
      aria-label={aria['aria-label']}
      aria-describedby={[aria['aria-describedby'], findings.length && !compact ? findingsId : undefined].filter(Boolean).join(' ') || undefined}
      aria-invalid={status === 'error' || undefined}
      onChange={(e) => onChange?.(e.target.value)}
    />
  );
  if (compact) {
    return findings.length ? (
      <Tooltip title={findings.map((f) => `「${f.matched}」${f.severity === 'block' ? t('compliance.block') : t('compliance.warn')}：${f.reason}${f.suggestions.length ? ` → ${f.suggestions.slice(0, 2).join(' / ')}` : ''}`).join('\n')}>
        {input}
      </Tooltip>
    ) : (
      input
    );
  }
  return (
    <div>
      {input}
      <Findings id={findingsId} findings={findings} onRewrite={apply} />
    </div>
  );
}

export function FindingList({ findings }: { findings: Finding[] }) {
  const { t } = useI18n();
  if (!findings.length) return <Typography.Text type="success">{t('compliance.none')}</Typography.Text>;
  return (
    <div className="findings">
      {findings.map((f, i) => (
        <div className="finding" key={i}>
          <Tag color={f.severity === 'block' ? 'red' : 'orange'}>{f.severity === 'block' ? t('compliance.block') : t('compliance.warn')}</Tag>
          <Typography.Text strong>「{f.matched}」</Typography.Text>
          <Typography.Text type="secondary">
            {f.category} · {f.reason}
            {f.suggestions.length ? ` · ${t('compliance.suggest')}: ${f.suggestions.slice(0, 3).join(' / ')}` : ''}
          </Typography.Text>
        </div>
      ))}
    </div>
  );
}
