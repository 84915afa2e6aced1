/**
 * The signed-in console: side menu, header and the page routes. Loaded on demand (App.tsx), so the
 * login screen does not download or run it (issue 12, point 5: largest contentful paint).
 */
import { lazy, Suspense, useState } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { Badge, Button, Drawer, Grid, Layout, Menu, Space, Spin, Tag, Typography } from 'antd';
import { AlertOutlined, ApiOutlined, AppstoreOutlined, AuditOutlined, CommentOutlined, ExperimentOutlined, LogoutOutlined, MenuOutlined, MessageOutlined, PictureOutlined, SafetyOutlined, SettingOutlined } from '@ant-design/icons';
import { useAuth } from './auth';
import { useI18n } from './i18n';
import { LangSwitch } from './components/LangSwitch';
import { PresenceSwitch } from './pages/inbox/Desk';
import { useOpenAlerts } from './pages/alert-badge';

/** Each page's chunk, by the path it serves. */
const pages = {
  rules: () => import('./pages/Rules'),
  ruleEditor: () => import('./pages/RuleEditor'),
  sandbox: () => import('./pages/Sandbox'),
  materials: () => import('./pages/Materials'),
  routing: () => import('./pages/Routing'),
  inbox: () => import('./pages/Inbox'),
  settings: () => import('./pages/Settings'),
  riskWords: () => import('./pages/RiskWords'),
  audit: () => import('./pages/Audit'),
  alerts: () => import('./pages/Alerts'),
};
const RulesPage = lazy(pages.rules);
const RuleEditorPage = lazy(pages.ruleEditor);
const SandboxPage = lazy(pages.sandbox);
const MaterialsPage = lazy(pages.materials);
const RoutingPage = lazy(pages.routing);
const InboxPage = lazy(pages.inbox);
const SettingsPage = lazy(pages.settings);
const RiskWordsPage = lazy(pages.riskWords);
const AuditPage = lazy(pages.audit);
const AlertsPage = lazy(pages.alerts);

// The page the console opens on starts loading with the shell, not after the shell has rendered.
{
  const p = window.location.pathname;
  const first =
    p === '/' || p === '/rules' || p === '/login' ? pages.rules
    : p.startsWith('/rules/') ? pages.ruleEditor
    : p.startsWith('/inbox') ? pages.inbox
    : p.startsWith('/compliance/words') ? pages.riskWords
    : p.startsWith('/compliance/audit') ? pages.audit
    : p.startsWith('/compliance/alerts') ? pages.alerts
    : (pages as Record<string, (() => Promise<unknown>) | undefined>)[p.slice(1)];
  void first?.();
}

export default function Shell() {
  const { token, me, logout, can } = useAuth();
  const { t } = useI18n();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const [drawer, setDrawer] = useState(false);
  // Alerts: for who handles them (compliance:write — supervisors, admins).
  const handlesAlerts = !!token && can('compliance:write');
  const openAlerts = useOpenAlerts(handlesAlerts);

  const items = [
    { key: '/rules', icon: <AppstoreOutlined />, label: t('nav.rules') },
    { key: '/sandbox', icon: <ExperimentOutlined />, label: t('nav.sandbox') },
    { key: '/materials', icon: <PictureOutlined />, label: t('nav.materials') },
    { key: '/routing', icon: <ApiOutlined />, label: t('nav.routing') },
    { key: '/inbox', icon: <MessageOutlined />, label: t('nav.inbox') },
    { key: '/compliance/words', icon: <SafetyOutlined />, label: t('nav.riskWords') },
    { key: '/compliance/audit', icon: <AuditOutlined />, label: t('nav.audit') },
    ...(handlesAlerts
      ? [
          {
            key: '/compliance/alerts',
            icon: <AlertOutlined />,
            title: t('nav.alerts'),
            label: (
              <span data-testid="nav-alerts">
                {t('nav.alerts')}{' '}
                <Badge count={openAlerts} size="small" title={t('nav.alertsBadge', { n: openAlerts })} data-testid="alerts-badge" />
              </span>
            ),
          },
        ]
      : []),
    { key: '/settings', icon: <SettingOutlined />, label: t('nav.settings') },
  ];
  const selected = items.find((i) => location.pathname.startsWith(i.key))?.key ?? '/rules';
  const narrow = !screens.md;
  const menu = (
    <Menu
      mode="inline"
      selectedKeys={[selected]}
      items={items}
      aria-label={t('nav.label')}
      onClick={({ key }) => {
        setDrawer(false);
        navigate(key);
      }}
    />
  );

  return (
    <Layout className="shell">
      {!narrow && (
        <Layout.Sider width={200} theme="light" className="shell-sider">
          <div className="brand">
            <CommentOutlined /> WeReply
          </div>
          {menu}
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header className="shell-header">
          <Space>
            {narrow && <Button type="text" icon={<MenuOutlined />} aria-label={t('nav.open')} onClick={() => setDrawer(true)} />}
            {narrow && <span className="brand-inline">WeReply</span>}
            <Typography.Text strong className="page-title">
              {(() => {
                const i = items.find((x) => x.key === selected);
                return i && 'title' in i ? i.title : i?.label;
              })()}
            </Typography.Text>
          </Space>
          <Space size="small" wrap={false}>
            <LangSwitch />
            {me && <PresenceSwitch />}
            {!narrow && me && (
              <Tag color="green" data-testid="whoami">
                {me.name} · {t(`role.${me.role}`)}
              </Tag>
            )}
            <Button size="small" icon={<LogoutOutlined />} onClick={logout} aria-label={t('login.logout')}>
              {narrow ? null : t('login.logout')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content className="shell-content">
          <Suspense fallback={<Spin style={{ margin: 48 }} />}>
            <Routes>
              <Route path="/" element={<Navigate to="/rules" replace />} />
              <Route path="/login" element={<Navigate to={new URLSearchParams(location.search).get('next') || '/rules'} replace />} />
              <Route path="/rules" element={<RulesPage />} />
              <Route path="/rules/new" element={<RuleEditorPage />} />
              <Route path="/rules/:id" element={<RuleEditorPage />} />
              <Route path="/sandbox" element={<SandboxPage />} />
              <Route path="/materials" element={<MaterialsPage />} />
              <Route path="/routing" element={<RoutingPage />} />
              <Route path="/inbox" element={<InboxPage />} />
              <Route path="/inbox/:id" element={<InboxPage />} />
              <Route path="/compliance/words" element={<RiskWordsPage />} />
              <Route path="/compliance/audit" element={<AuditPage />} />
              <Route path="/compliance/alerts" element={<AlertsPage />} />
              <Route path="/settings" element={<SettingsPage />} />
              <Route path="*" element={<Navigate to="/rules" replace />} />
            </Routes>
          </Suspense>
        </Layout.Content>
      </Layout>
      <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={240} title="WeReply" styles={{ body: { padding: 0 } }}>
        {menu}
      </Drawer>
    </Layout>
  );
}
