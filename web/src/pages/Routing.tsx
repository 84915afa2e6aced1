/**
 * 分配规则: 接待人员 with status, 接待上限 and shifts (weekly grid), groups, and the routing tree as an
 * editable tree; a refused save shows each problem at the node (or group) that causes it.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Col, Empty, Form, Input, InputNumber, Modal, Radio, Row, Select, Space, Switch, Table, Tag, Tree, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined, SyncOutlined } from '@ant-design/icons';
import { ApiError, get, patch, post, put } from '../api';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

interface Shift {
  timezone: string;
  weekly: Record<string, { start: string; end: string }[]>;
  holidays?: string[];
  extraWorkdays?: { date: string; like: number }[];
}
interface Servicer {
  userid: string;
  name: string;
  groups: string[];
  receptionCap: number;
  supervisor: boolean;
  status: 'active' | 'departed';
  receiving: boolean;
  timezone: string;
  shift: Shift | null;
}
/** A department listed as 接待人员 in WeCom, as the last sync found it. */
interface Department {
  department_id: number;
  open_kfids: string[];
  expanded: boolean;
  members: string[];
  reason?: string;
}
interface Group {
  id: string;
  name: string;
  members: string[];
  strategy: string;
  shift?: Shift;
  supervisorCap?: number;
}
interface Node {
  id: string;
  name: string;
  when: any;
  then: { group?: string; strategy?: string; servicer?: string; children?: Node[] };
}
interface Config {
  groups: Group[];
  tree: { timezone: string; nodes: Node[] };
  dutyFallback?: { group?: string; servicer?: string };
  complaintPhrases: string[];
}

// ------------------------------------------------------------------ shift grid (hour cells)

function toCells(shift: Shift | null): boolean[][] {
  const cells = Array.from({ length: 7 }, () => Array(24).fill(false) as boolean[]);
  if (!shift) return cells;
  for (let d = 1; d <= 7; d++) {
    for (const r of shift.weekly[String(d)] ?? []) {
      const [sh, sm] = r.start.split(':').map(Number);
      const [eh, em] = r.end.split(':').map(Number);
      const s = sh! + sm! / 60;
      const e = eh! + em! / 60;
      for (let h = 0; h < 24; h++) {
        const inside = s <= e ? h + 1 > s && h < e : h + 1 > s || h < e;
        if (inside) cells[d - 1]![h] = true;
      }
    }
  }
  return cells;
}

function fromCells(cells: boolean[][], timezone: string, base: Shift | null): Shift {
  const weekly: Shift['weekly'] = {};
  cells.forEach((hours, i) => {
    const ranges: { start: string; end: string }[] = [];
    let start = -1;
    for (let h = 0; h <= 24; h++) {
      if (h < 24 && hours[h] && start < 0) start = h;
      if ((h === 24 || !hours[h]) && start >= 0) {
        ranges.push({ start: `${String(start).padStart(2, '0')}:00`, end: h === 24 ? '24:00' : `${String(h).padStart(2, '0')}:00` });
        start = -1;
      }
    }
    if (ranges.length) weekly[String(i + 1)] = ranges;
  });
  return { ...(base ?? {}), timezone, weekly };
}

export function ShiftGrid({ value, onChange }: { value: boolean[][]; onChange: (v: boolean[][]) => void }) {
  const { t } = useI18n();
  const [paint, setPaint] = useState<boolean | null>(null);
  const set = (d: number, h: number, on: boolean) => onChange(value.map((row, i) => (i === d ? row.map((c, j) => (j === h ? on : c)) : row)));
  return (
    <div className="scroll-x" onMouseUp={() => setPaint(null)} onMouseLeave={() => setPaint(null)}>
      <table className="shift-grid" aria-label={t('routing.shiftGrid')}>
        <thead>
          <tr>
            <th />
            {Array.from({ length: 24 }, (_, h) => (
              <th key={h} scope="col">
                {h % 3 === 0 ? h : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {value.map((row, d) => (
            <tr key={d}>
              <th scope="row">{t(`weekday.${d + 1}`)}</th>
              {row.map((on, h) => (
                <td key={h}>
                  <button
                    type="button"
                    className={on ? 'on' : ''}
                    aria-pressed={on}
                    aria-label={`${t(`weekday.${d + 1}`)} ${h}:00–${h + 1}:00`}
                    onMouseDown={() => {
                      setPaint(!on);
                      set(d, h, !on);
                    }}
                    onMouseEnter={() => paint !== null && set(d, h, paint)}
                    onKeyDown={(e) => {
                      if (e.key === ' ' || e.key === 'Enter') {
                        e.preventDefault();
                        set(d, h, !on);
                      }
                    }}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ------------------------------------------------------------------ tree helpers

type Path = number[];
function nodeAt(nodes: Node[], path: Path): Node | undefined {
  let list = nodes;
  let n: Node | undefined;
  for (const i of path) {
    n = list[i];
    if (!n) return undefined;
    list = n.then.children ?? [];
  }
  return n;
}
function listAt(nodes: Node[], path: Path): Node[] {
  return path.length === 0 ? nodes : (nodeAt(nodes, path)!.then.children ??= []);
}
function namePath(nodes: Node[], path: Path): string {
  const names: string[] = [];
  let list = nodes;
  for (const i of path) {
    const n = list[i]!;
    names.push(n.name || n.id);
    list = n.then.children ?? [];
  }
  return names.join(' › ');
}
function walk(nodes: Node[], fn: (n: Node, path: Path) => void, prefix: Path = []): void {
  nodes.forEach((n, i) => {
    fn(n, [...prefix, i]);
    if (n.then.children) walk(n.then.children, fn, [...prefix, i]);
  });
}

export default function RoutingPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const [servicers, setServicers] = useState<Servicer[] | null>(null);
  const [config, setConfig] = useState<Config | null>(null);
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState<Path | null>(null);
  const [problems, setProblems] = useState<{ field: string; message: string }[]>([]);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [shiftFor, setShiftFor] = useState<Servicer | null>(null);
  const [cells, setCells] = useState<boolean[][]>(toCells(null));
  const [dirty, setDirty] = useState(false);
  const [departments, setDepartments] = useState<Department[]>([]);
  const writable = can('routing:write');

  const load = async () => {
    try {
      const [s, r, d] = await Promise.all([get<Servicer[]>('/api/servicers'), get('/api/routing'), get<Department[]>('/api/servicers/departments')]);
      setServicers(s);
      setDepartments(d);
      setConfig(r.config);
      setVersion(r.version);
      setDirty(false);
      setProblems([]);
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const change = (fn: (c: Config) => void) => {
    if (!config) return;
    const copy: Config = structuredClone(config);
    fn(copy);
    setConfig(copy);
    setDirty(true);
  };

  /** Problems keyed by node path of names ("合同 › 华东") and by group id. */
  const nodeProblems = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const p of problems) {
      const node = /^tree\.nodes\[(.+?)\](?:\.|$)/.exec(p.field);
      const group = /^groups\[(.+?)\]/.exec(p.field);
      const key = node ? `node:${node[1]}` : group ? `group:${group[1]}` : 'other';
      m.set(key, [...(m.get(key) ?? []), p.message]);
    }
    return m;
  }, [problems]);

  const treeData = useMemo(() => {
    if (!config) return [];
    const build = (nodes: Node[], prefix: Path): any[] =>
      nodes.map((n, i) => {
        const path = [...prefix, i];
        const errs = nodeProblems.get(`node:${namePath(config.tree.nodes, path)}`) ?? [];
        const target = n.then.children ? t('routing.branches', { n: n.then.children.length }) : n.then.group ? `→ ${config.groups.find((g) => g.id === n.then.group)?.name ?? n.then.group}` : n.then.servicer ? `→ ${n.then.servicer}` : '';
        return {
          key: path.join('-'),
          title: (
            <span data-testid="tree-node">
              <b>{n.name}</b> <Typography.Text type="secondary">{target}</Typography.Text>
              {errs.map((e, k) => (
                <div key={k} className="node-error" role="alert" data-testid="node-error">
                  ⚠ {e}
                </div>
              ))}
            </span>
          ),
          children: n.then.children ? build(n.then.children, path) : undefined,
        };
      });
    return build(config.tree.nodes, []);
  }, [config, nodeProblems, t]);

  const save = async () => {
    if (!config) return;
    setSaveError(null);
    try {
      const r = await put('/api/routing', { config, baseVersion: version, note: 'console' });
      message.success(t('routing.saved', { v: r.version }));
      await load();
    } catch (e) {
      if (e instanceof ApiError) {
        setProblems(e.details);
        setSaveError(e.message);
      } else setSaveError((e as Error).message);
    }
  };

  const addNode = (parent: Path | null) =>
    change((c) => {
      const list = parent ? listAt(c.tree.nodes, parent) : c.tree.nodes;
      const id = `node-${Date.now().toString(36)}`;
      list.push({ id, name: t('routing.newNode'), when: {}, then: { group: c.groups[0]?.id ?? '' } });
      if (parent) {
        const p = nodeAt(c.tree.nodes, parent)!;
        p.then = { children: list };
      }
      setSelected([...(parent ?? []), list.length - 1]);
    });
  const removeNode = (path: Path) =>
    change((c) => {
      listAt(c.tree.nodes, path.slice(0, -1)).splice(path[path.length - 1]!, 1);
      setSelected(null);
    });
  const moveNode = (path: Path, delta: number) =>
    change((c) => {
      const list = listAt(c.tree.nodes, path.slice(0, -1));
      const i = path[path.length - 1]!;
      const j = i + delta;
      if (j < 0 || j >= list.length) return;
      [list[i], list[j]] = [list[j]!, list[i]!];
      setSelected([...path.slice(0, -1), j]);
    });

  const node = config && selected ? nodeAt(config.tree.nodes, selected) : undefined;
  const updateNode = (fn: (n: Node) => void) => change((c) => fn(nodeAt(c.tree.nodes, selected!)!));

  const saveShift = async (clear = false) => {
    if (!shiftFor) return;
    try {
      await patch(`/api/servicers/${encodeURIComponent(shiftFor.userid)}`, { shift: clear ? null : fromCells(cells, shiftFor.shift?.timezone ?? shiftFor.timezone, shiftFor.shift) });
      setShiftFor(null);
      message.success(t('common.saved'));
      await load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  const servicerOptions = (servicers ?? []).map((s) => ({ value: s.userid, label: `${s.name} (${s.userid})`, disabled: s.status === 'departed' }));
  const groupOptions = (config?.groups ?? []).map((g) => ({ value: g.id, label: g.name }));

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Card
        size="small"
        title={t('routing.servicers')}
        extra={
          writable && (
            <Button
              size="small"
              icon={<SyncOutlined />}
              onClick={async () => {
                try {
                  const r = await post('/api/servicers/sync');
                  message.success(t('routing.synced', { n: (r.added?.length ?? 0) + (r.updated?.length ?? 0) }));
                  await load();
                } catch (e) {
                  message.error((e as Error).message);
                }
              }}
            >
              {t('routing.sync')}
            </Button>
          )
        }
      >
        <Table<Servicer>
          rowKey="userid"
          size="small"
          loading={!servicers}
          dataSource={servicers ?? []}
          pagination={false}
          scroll={{ x: 760 }}
          locale={{ emptyText: t('routing.noServicers') }}
          columns={[
            { title: t('routing.servicer'), render: (_, s) => <span>{s.name} <Typography.Text type="secondary">({s.userid})</Typography.Text></span> },
            {
              title: t('routing.status'),
              width: 170,
              render: (_, s) => (
                <Space size={4}>
                  {s.status === 'departed' ? <Tag color="red">{t('routing.departed')}</Tag> : <Tag color="green">{t('routing.active')}</Tag>}
                  {s.status === 'active' && (s.receiving ? <Tag color="blue">{t('routing.receiving')}</Tag> : <Tag>{t('routing.paused')}</Tag>)}
                </Space>
              ),
            },
            {
              title: t('routing.cap'),
              width: 110,
              render: (_, s) => (
                <InputNumber
                  size="small"
                  min={1}
                  max={1000}
                  defaultValue={s.receptionCap}
                  disabled={!writable}
                  aria-label={t('routing.capFor', { name: s.name })}
                  onBlur={async (e) => {
                    const v = Number(e.target.value);
                    if (!v || v === s.receptionCap) return;
                    try {
                      await patch(`/api/servicers/${encodeURIComponent(s.userid)}`, { receptionCap: v });
                      message.success(t('common.saved'));
                    } catch (err) {
                      message.error((err as Error).message);
                    }
                  }}
                />
              ),
            },
            {
              title: t('routing.supervisor'),
              width: 80,
              render: (_, s) => (
                <Switch
                  size="small"
                  checked={s.supervisor}
                  disabled={!writable}
                  aria-label={t('routing.supervisor')}
                  onChange={async (v) => {
                    await patch(`/api/servicers/${encodeURIComponent(s.userid)}`, { supervisor: v }).catch((e) => message.error(e.message));
                    await load();
                  }}
                />
              ),
            },
            { title: t('routing.groups'), render: (_, s) => s.groups.map((g) => <Tag key={g}>{config?.groups.find((x) => x.id === g)?.name ?? g}</Tag>) },
            {
              title: t('routing.shift'),
              width: 120,
              render: (_, s) => (
                <Button
                  size="small"
                  onClick={() => {
                    setCells(toCells(s.shift));
                    setShiftFor(s);
                  }}
                >
                  {s.shift ? t('routing.editShift') : t('routing.alwaysOn')}
                </Button>
              ),
            },
          ]}
        />
        {departments.length > 0 && (
          <Space direction="vertical" size={4} style={{ width: '100%', marginTop: 12 }} data-testid="servicer-departments">
            <Typography.Text strong>{t('routing.departments')}</Typography.Text>
            {departments.map((d) =>
              d.expanded ? (
                <Typography.Text key={d.department_id}>
                  <Tag color="green">{t('routing.departmentExpanded')}</Tag>
                  {t('routing.department', { id: d.department_id })}: {d.members.join(', ') || '—'}
                </Typography.Text>
              ) : (
                <Alert
                  key={d.department_id}
                  type="warning"
                  showIcon
                  title={`${t('routing.department', { id: d.department_id })} · ${t('routing.departmentNotExpanded')}`}
                  description={d.reason}
                />
              ),
            )}
          </Space>
        )}
      </Card>

      <Card
        size="small"
        title={t('routing.tree', { v: version })}
        extra={
          writable && (
            <Space>
              {dirty && <Tag color="orange">{t('routing.unsaved')}</Tag>}
              <Button size="small" onClick={load} disabled={!dirty}>
                {t('common.reset')}
              </Button>
              <Button size="small" type="primary" onClick={save} disabled={!dirty} data-testid="save-routing">
                {t('common.save')}
              </Button>
            </Space>
          )
        }
      >
        {saveError && <Alert type="error" showIcon title={t('routing.refused')} description={saveError} style={{ marginBottom: 12 }} />}
        {config && (
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              {config.tree.nodes.length === 0 ? (
                <Empty description={t('routing.emptyTree')} />
              ) : (
                <Tree blockNode defaultExpandAll showLine treeData={treeData} selectedKeys={selected ? [selected.join('-')] : []} onSelect={(keys) => setSelected(keys[0] !== undefined ? String(keys[0]).split('-').map(Number) : null)} aria-label={t('routing.treeLabel')} />
              )}
              {writable && (
                <Space style={{ marginTop: 8 }} wrap>
                  <Button size="small" icon={<PlusOutlined />} onClick={() => addNode(null)}>
                    {t('routing.addRoot')}
                  </Button>
                  {selected && (
                    <>
                      <Button size="small" icon={<PlusOutlined />} onClick={() => addNode(selected)}>
                        {t('routing.addChild')}
                      </Button>
                      <Button size="small" icon={<ArrowUpOutlined />} onClick={() => moveNode(selected, -1)} aria-label={t('editor.moveUp')} />
                      <Button size="small" icon={<ArrowDownOutlined />} onClick={() => moveNode(selected, 1)} aria-label={t('editor.moveDown')} />
                      <Button size="small" danger icon={<DeleteOutlined />} onClick={() => removeNode(selected)}>
                        {t('common.delete')}
                      </Button>
                    </>
                  )}
                </Space>
              )}
              {(nodeProblems.get('other') ?? []).map((e, i) => (
                <Alert key={i} type="error" title={e} style={{ marginTop: 8 }} role="alert" />
              ))}
              <Form layout="vertical" size="small" disabled={!writable} style={{ marginTop: 16 }}>
                <Form.Item label={t('routing.dutyFallback')} extra={t('routing.dutyFallbackHelp')} htmlFor="duty-fallback">
                  <Select
                    id="duty-fallback"
                    allowClear
                    placeholder={t('routing.pool')}
                    value={config.dutyFallback?.group ? `group:${config.dutyFallback.group}` : config.dutyFallback?.servicer ? `servicer:${config.dutyFallback.servicer}` : undefined}
                    options={[
                      { label: t('routing.groupsTitle'), options: groupOptions.map((g) => ({ value: `group:${g.value}`, label: g.label })) },
                      { label: t('routing.servicers'), options: servicerOptions.map((x) => ({ value: `servicer:${x.value}`, label: x.label, disabled: x.disabled })) },
                    ]}
                    onChange={(v?: string) =>
                      change((c) => {
                        if (!v) delete c.dutyFallback;
                        else {
                          const [kind, id] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
                          c.dutyFallback = kind === 'group' ? { group: id } : { servicer: id };
                        }
                      })
                    }
                  />
                </Form.Item>
                <Form.Item label={t('routing.complaintPhrases')} extra={t('routing.complaintHelp')}>
                  <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',', '，']} aria-label={t('routing.complaintPhrases')} value={config.complaintPhrases} onChange={(v: string[]) => change((c) => (c.complaintPhrases = v))} />
                </Form.Item>
              </Form>
            </Col>
            <Col xs={24} lg={12}>
              {node ? (
                <Form layout="vertical" disabled={!writable} key={selected!.join('-')} size="small">
                  <Form.Item label={t('routing.nodeName')} htmlFor="node-name">
                    <Input id="node-name" value={node.name} onChange={(e) => updateNode((n) => (n.name = e.target.value))} />
                  </Form.Item>
                  {(['any', 'all', 'none'] as const).map((k) => (
                    <Form.Item key={k} label={t(`routing.kw.${k}`)}>
                      <Select
                        mode="tags"
                        open={false}
                        suffixIcon={null}
                        aria-label={t(`routing.kw.${k}`)}
                        value={node.when?.keywords?.[k] ?? []}
                        onChange={(v: string[]) =>
                          updateNode((n) => {
                            const kw = { ...(n.when.keywords ?? {}), [k]: v };
                            if (!v.length) delete kw[k];
                            n.when = { ...n.when, keywords: kw };
                            if (!Object.keys(kw).length) delete n.when.keywords;
                          })
                        }
                      />
                    </Form.Item>
                  ))}
                  {(['kfAccounts', 'customerTimezones'] as const).map((k) => (
                    <Form.Item key={k} label={t(`routing.cond.${k}`)}>
                      <Select
                        mode="tags"
                        open={false}
                        suffixIcon={null}
                        aria-label={t(`routing.cond.${k}`)}
                        value={node.when?.[k] ?? []}
                        onChange={(v: string[]) =>
                          updateNode((n) => {
                            n.when = { ...n.when, [k]: v };
                            if (!v.length) delete n.when[k];
                          })
                        }
                      />
                    </Form.Item>
                  ))}
                  <Form.Item label={t('routing.cond.customerTags')}>
                    <Select
                      mode="tags"
                      open={false}
                      suffixIcon={null}
                      aria-label={t('routing.cond.customerTags')}
                      value={node.when?.customerTags?.any ?? []}
                      onChange={(v: string[]) =>
                        updateNode((n) => {
                          n.when = { ...n.when, customerTags: { any: v } };
                          if (!v.length) delete n.when.customerTags;
                        })
                      }
                    />
                  </Form.Item>
                  <Form.Item label={t('routing.then')}>
                    <Radio.Group
                      value={node.then.children ? 'children' : node.then.servicer !== undefined ? 'servicer' : 'group'}
                      onChange={(e) =>
                        updateNode((n) => {
                          n.then = e.target.value === 'children' ? { children: n.then.children ?? [] } : e.target.value === 'servicer' ? { servicer: servicerOptions[0]?.value ?? '' } : { group: groupOptions[0]?.value ?? '' };
                        })
                      }
                      options={[
                        { value: 'group', label: t('editor.routeGroup') },
                        { value: 'servicer', label: t('editor.routeServicer') },
                        { value: 'children', label: t('routing.subBranches') },
                      ]}
                    />
                  </Form.Item>
                  {node.then.group !== undefined && !node.then.children && (
                    <Space wrap>
                      <Select aria-label={t('editor.routeGroup')} style={{ minWidth: 160 }} value={node.then.group} options={groupOptions} onChange={(v) => updateNode((n) => (n.then = { ...n.then, group: v }))} />
                      <Select
                        aria-label={t('routing.strategy')}
                        style={{ minWidth: 160 }}
                        allowClear
                        placeholder={t('routing.strategyDefault')}
                        value={node.then.strategy}
                        options={['round_robin', 'least_busy', 'sticky'].map((s) => ({ value: s, label: t(`strategy.${s}`) }))}
                        onChange={(v) =>
                          updateNode((n) => {
                            n.then = { group: n.then.group!, ...(v ? { strategy: v } : {}) };
                          })
                        }
                      />
                    </Space>
                  )}
                  {node.then.servicer !== undefined && <Select aria-label={t('editor.routeServicer')} style={{ minWidth: 220 }} value={node.then.servicer} options={servicerOptions} onChange={(v) => updateNode((n) => (n.then = { servicer: v }))} />}
                </Form>
              ) : (
                <Typography.Text type="secondary">{t('routing.pickNode')}</Typography.Text>
              )}
            </Col>
          </Row>
        )}
      </Card>

      <Card size="small" title={t('routing.groupsTitle')}>
        <Table<Group>
          rowKey="id"
          size="small"
          dataSource={config?.groups ?? []}
          pagination={false}
          scroll={{ x: 640 }}
          columns={[
            {
              title: t('routing.group'),
              render: (_, g) => (
                <div>
                  {g.name} <Typography.Text type="secondary">({g.id})</Typography.Text>
                  {(nodeProblems.get(`group:${g.id}`) ?? []).map((e, i) => (
                    <div key={i} className="node-error" role="alert">
                      ⚠ {e}
                    </div>
                  ))}
                </div>
              ),
            },
            {
              title: t('routing.members'),
              render: (_, g, gi) => (
                <Select
                  mode="multiple"
                  size="small"
                  style={{ minWidth: 220, width: '100%' }}
                  disabled={!writable}
                  aria-label={t('routing.membersOf', { name: g.name })}
                  value={g.members}
                  options={servicerOptions}
                  onChange={(v) => change((c) => (c.groups[gi]!.members = v))}
                />
              ),
            },
            {
              title: t('routing.strategy'),
              width: 170,
              render: (_, g, gi) => (
                <Select
                  size="small"
                  style={{ width: 150 }}
                  disabled={!writable}
                  aria-label={t('routing.strategy')}
                  value={g.strategy}
                  options={['round_robin', 'least_busy', 'sticky'].map((s) => ({ value: s, label: t(`strategy.${s}`) }))}
                  onChange={(v) => change((c) => (c.groups[gi]!.strategy = v))}
                />
              ),
            },
          ]}
        />
      </Card>

      <Modal open={!!shiftFor} title={t('routing.shiftOf', { name: shiftFor?.name ?? '' })} onCancel={() => setShiftFor(null)} width={720} footer={[
        <Button key="clear" onClick={() => saveShift(true)} disabled={!writable}>{t('routing.alwaysOn')}</Button>,
        <Button key="save" type="primary" onClick={() => saveShift()} disabled={!writable}>{t('common.save')}</Button>,
      ]}>
        <Typography.Paragraph type="secondary">{t('routing.shiftHelp', { tz: shiftFor?.shift?.timezone ?? shiftFor?.timezone ?? '' })}</Typography.Paragraph>
        <ShiftGrid value={cells} onChange={setCells} />
      </Modal>
    </Space>
  );
}
