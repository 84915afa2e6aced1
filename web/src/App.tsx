import { lazy, Suspense, useState } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { Badge, Button, Drawer, Grid, Layout, Menu, Segmented, Space, Spin, Tag, Typography } from 'antd';
import { AlertOutlined, ApiOutlined, AppstoreOutlined, AuditOutlined, CommentOutlined, ExperimentOutlined, LogoutOutlined, MenuOutlined, MessageOutlined, PictureOutlined, SafetyOutlined, SettingOutlined } from '@ant-design/icons';
import { useAuth } from './auth';
import { PresenceSwitch } from './pages/inbox/Desk';
import { useI18n } from './i18n';
import { LoginPage } from './pages/Login';
import { useOpenAlerts } from './pages/alert-badge';

const RulesPage = lazy(() => import('./pages/Rules'));
const RuleEditorPage = lazy(() => import('./pages/RuleEditor'));
const SandboxPage = lazy(() => import('./pages/Sandbox'));
const MaterialsPage = lazy(() => import('./pages/Materials'));
const RoutingPage = lazy(() => import('./pages/Routing'));
const InboxPage = lazy(() => import('./pages/Inbox'));
const SettingsPage = lazy(() => import('./pages/Settings'));
const RiskWordsPage = lazy(() => import('./pages/RiskWords'));
const AuditPage = lazy(() => import('./pages/Audit'));
const AlertsPage = lazy(() => import('./pages/Alerts'));

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

export function App() {
  const { token, me, logout, can } = useAuth();
  const { t } = useI18n();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const [drawer, setDrawer] = useState(false);
  // Alerts: for who handles them (compliance:write — supervisors, admins).
  const handlesAlerts = !!token && can('compliance:write');
  const openAlerts = useOpenAlerts(handlesAlerts);

  if (!token) {
    return (
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />} />
      </Routes>
    );
  }

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
