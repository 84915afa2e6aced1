/**
 * Who is signed in. People sign in with their name and password (POST /api/sessions/password), with
 * 企业微信扫码登录 (the server hands a one-use code back in the URL fragment, exchanged with
 * POST /api/sessions/exchange), or with a token. An operator token is exchanged for a session token (POST /api/sessions) that
 * expires (12 h; 30 days with "remember me" 记住我) and is rotated halfway through its life
 * (POST /api/sessions/refresh; the old one stops working). Only the session token is kept: in memory
 * and sessionStorage (gone when the tab closes), and with 记住我 in localStorage. The static admin
 * token (WEREPLY_ADMIN_TOKEN) is not a session and is kept as it is.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, setApiToken, setOnUnauthorized } from './api';

const KEY = 'wereply.token';
/** When the stored session token expires (ms), and when it was issued; absent for the static admin token. */
const EXPIRES = 'wereply.expires';
const ISSUED = 'wereply.issued';

export interface Session {
  session_token: string;
  expires_at: number;
  remember?: boolean;
}

/** Exchanges an operator token for a session; null for the static admin token (used as it is). */
async function signIn(token: string, remember: boolean): Promise<Session | null> {
  try {
    return await api<Session>('POST', '/api/sessions', { token, remember }, { token: '-' });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 409 || err.status === 404 || err.status === 400)) return null;
    throw err;
  }
}

function store(token: string, remember: boolean, session: Session | null): void {
  try {
    const put = (k: string, v: string | null) => {
      for (const st of remember ? [sessionStorage, localStorage] : [sessionStorage]) v === null ? st.removeItem(k) : st.setItem(k, v);
      if (!remember) localStorage.removeItem(k);
    };
    put(KEY, token);
    put(EXPIRES, session ? String(session.expires_at) : null);
    put(ISSUED, session ? String(Date.now()) : null);
  } catch {
    /* storage disabled: memory only */
  }
}

function storedNumber(k: string): number | null {
  try {
    const v = sessionStorage.getItem(k) ?? localStorage.getItem(k);
    return v ? Number(v) : null;
  } catch {
    return null;
  }
}

function remembered(): boolean {
  try {
    return localStorage.getItem(KEY) !== null;
  } catch {
    return false;
  }
}

export interface Me {
  name: string;
  role: string;
  permissions: string[];
}

interface AuthState {
  token: string | null;
  me: Me | null;
  login(token: string, remember: boolean): Promise<void>;
  /** Name and password (throws the ApiError: 401 wrong, 429 locked with retry_after_s). */
  loginPassword(name: string, password: string, remember: boolean): Promise<void>;
  /** The one-use code WeCom sign-in handed back (/login#wecom_code=…). */
  loginWeComCode(code: string): Promise<void>;
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

/** The token saved from an earlier visit, if any (also used to request the first screen's data early). */
export function storedToken(): string | null {
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
      const current = sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
      if (current && storedNumber(EXPIRES)) void api('DELETE', '/api/sessions/current', undefined, { token: current }).catch(() => undefined);
      for (const k of [KEY, EXPIRES, ISSUED]) {
        sessionStorage.removeItem(k);
        localStorage.removeItem(k);
      }
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
    // The console shows at once with the saved token (App.tsx already fetches the first screen's code
    // and data): waiting for /api/me first put a whole round trip before the first paint. Until it
    // answers, `me` is null (nothing needs a permission yet); a token it refuses signs out.
    setApiToken(saved);
    setToken(saved);
    setChecking(false);
    whoIs(saved)
      .then(setMe)
      .catch(() => logout());
  }, [logout]);

  const login = useCallback(async (t: string, remember: boolean) => {
    const session = await signIn(t, remember);
    const use = session?.session_token ?? t;
    const who = await whoIs(use);
    store(use, remember, session);
    setApiToken(use);
    setToken(use);
    setMe(who);
  }, []);

  /** Keeps a session the server just started (password or WeCom), as login() does. */
  const adopt = useCallback(async (session: Session, remember: boolean) => {
    const who = await whoIs(session.session_token);
    store(session.session_token, remember, session);
    setApiToken(session.session_token);
    setToken(session.session_token);
    setMe(who);
  }, []);

  const loginPassword = useCallback(
    async (name: string, password: string, remember: boolean) => adopt(await api<Session>('POST', '/api/sessions/password', { name, password, remember }, { token: '-' }), remember),
    [adopt],
  );

  const loginWeComCode = useCallback(
    async (code: string) => {
      const session = await api<Session>('POST', '/api/sessions/exchange', { code }, { token: '-' });
      await adopt(session, !!session.remember);
    },
    [adopt],
  );

  // Rotates the session token halfway through its life (and at once when that time has passed).
  useEffect(() => {
    if (!token) return;
    const expires = storedNumber(EXPIRES);
    const issued = storedNumber(ISSUED);
    if (!expires || !issued) return;
    const due = Math.max(0, issued + (expires - issued) / 2 - Date.now());
    const timer = setTimeout(() => {
      api<Session>('POST', '/api/sessions/refresh', undefined, { token })
        .then((next) => {
          store(next.session_token, remembered(), next);
          setApiToken(next.session_token);
          setToken(next.session_token);
        })
        .catch(() => logout());
    }, Math.min(due, 2_147_000_000));
    return () => clearTimeout(timer);
  }, [token, logout]);

  const value = useMemo<AuthState>(
    () => ({ token, me, login, loginPassword, loginWeComCode, logout, can: (p) => !!me && (me.role === 'admin' || me.permissions.includes('*') || me.permissions.includes(p)) }),
    [token, me, login, loginPassword, loginWeComCode, logout],
  );
  if (checking) return null;
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
