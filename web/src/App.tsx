import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { hasStoredToken, useAuth } from './auth';
import { LoginPage } from './pages/Login';

/** The signed-in console (menu, header, pages): its own chunk, so the login screen paints without it. */
const loadShell = () => import('./Shell');
const Shell = lazy(loadShell);
// A returning operator will see the console: fetch it while the saved token is being checked.
if (hasStoredToken()) void loadShell();

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
