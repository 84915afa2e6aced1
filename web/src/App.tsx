import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { storedToken, useAuth } from './auth';
import { prefetch } from './prefetch';
import { LoginPage } from './pages/Login';

/** The signed-in console (menu, header, pages): its own chunk, so the login screen paints without it. */
const loadShell = () => import('./Shell');
const Shell = lazy(loadShell);
// A returning operator will see the console: fetch it while the saved token is being checked, and
// for the rules list (the page the console opens on) its code and its data at the same time.
{
  const saved = storedToken();
  if (saved) {
    void loadShell();
    const p = window.location.pathname;
    if (p === '/' || p === '/rules') {
      void import('./pages/Rules');
      prefetch('/api/rules', saved);
    }
  }
}

export function App() {
  const { token } = useAuth();
  const location = useLocation();

  if (!token) {
    return (
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />} />
      </Routes>
    );
  }
  return (
    <Suspense fallback={null}>
      <Shell />
    </Suspense>
  );
}
