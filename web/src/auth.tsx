/**
 * Who is signed in. The token lives in memory and sessionStorage (gone when the tab closes);
 * only with "remember me" (记住我) is it kept in localStorage.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, setApiToken, setOnUnauthorized } from './api';

const KEY = 'wereply.token';

export interface Me {
  name: string;
  role: string;
  permissions: string[];
}

interface AuthState {
  token: string | null;
  me: Me | null;
  login(token: string, remember: boolean): Promise<void>;
  logout(): void;
  can(permission: string): boolean;
}

const AuthContext = createContext<AuthState | null>(null);

const ADMIN: Me = { name: 'admin', role: 'admin', permissions: ['*'] };

/** Checks a token against the API: /api/me when it exists, else any authenticated read. */
async function whoIs(token: string): Promise<Me> {
  try {
    const me = await api<Me>('GET', '/api/me', undefined, { token });
    return { name: me.name, role: me.role, permissions: me.permissions ?? [] };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
  }
  // No user accounts in this version: the admin token is the only token, and it is checked here.
  await api('GET', '/api/wecom/status', undefined, { token });
  return ADMIN;
}

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);

  const logout = useCallback(() => {
    try {
      sessionStorage.removeItem(KEY);
      localStorage.removeItem(KEY);
    } catch {
      /* storage disabled */
    }
    setApiToken(null);
    setToken(null);
    setMe(null);
  }, []);

  useEffect(() => {
    setOnUnauthorized(logout);
    const saved = storedToken();
    if (!saved) return setChecking(false);
    whoIs(saved)
      .then((who) => {
        setApiToken(saved);
        setToken(saved);
        setMe(who);
      })
      .catch(() => logout())
      .finally(() => setChecking(false));
  }, [logout]);

  const login = useCallback(async (t: string, remember: boolean) => {
    const who = await whoIs(t);
    try {
      sessionStorage.setItem(KEY, t);
      if (remember) localStorage.setItem(KEY, t);
      else localStorage.removeItem(KEY);
    } catch {
      /* storage disabled: memory only */
    }
    setApiToken(t);
    setToken(t);
    setMe(who);
  }, []);

  const value = useMemo<AuthState>(
    () => ({ token, me, login, logout, can: (p) => !!me && (me.role === 'admin' || me.permissions.includes('*') || me.permissions.includes(p)) }),
    [token, me, login, logout],
  );
  if (checking) return null;
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
