import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { AuthProvider } from './auth';
import { I18nProvider } from './i18n';
// Ant Design's precompiled styles: with theme.zeroRuntime (i18n.tsx) no CSS-in-JS is generated while
// the first screen renders (issue 12, point 5: largest contentful paint).
import 'antd/dist/antd.css';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <AuthProvider>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </AuthProvider>
    </I18nProvider>
  </StrictMode>,
);
