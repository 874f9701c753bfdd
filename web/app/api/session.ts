/**
 * Who the page acts as. A signed-in account (kept in localStorage) holds
 * roles, and the page keeps one short-lived token per role it has used —
 * `viewer` to watch, chat and buy, `creator` in the studio, `admin`… — each
 * refreshed (`POST /api/v1/login/refresh`) shortly before it expires.
 * Without an account the page watches on an anonymous session
 * (`POST /api/v1/sessions`, kept for the tab): counted, but not chatting or buying.
 */
import { useEffect, useState } from "preact/hooks";

export type Role = "viewer" | "creator" | "moderator" | "admin" | "auditor" | "analyst";

export interface Token {
  token: string;
  /** Seconds since the Unix epoch. */
  exp: number;
}

export interface Account {
  user: string;
  roles: Role[];
  tokens: Partial<Record<Role, Token>>;
}

/** What sign-up, sign-in and refresh answer. */
export interface SignedIn {
  user: string;
  token: string;
  role: string;
  roles: string[];
}

const ACCOUNT = "cartcast.account";
const ANONYMOUS = "cartcast.anonymous";
/** Renew a token this long before it expires. */
const MARGIN_S = 120;

const listeners = new Set<() => void>();
const changed = () => listeners.forEach((listener) => listener());

/** A token's expiry (the server verifies it; the page only needs to know when to renew). */
export function expiry(token: string): number {
  const payload = token.split(".")[1];
  if (!payload) return 0;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: number };
    return typeof claims.exp === "number" ? claims.exp : 0;
  } catch {
    return 0;
  }
}

const fresh = (token: Token | undefined): token is Token => !!token && token.exp - MARGIN_S > Date.now() / 1000;
/** Still accepted by the server, if not for long. */
const valid = (token: Token | undefined): token is Token => !!token && token.exp > Date.now() / 1000 + 5;

function load(): Account | null {
  try {
    const account = JSON.parse(localStorage.getItem(ACCOUNT) ?? "null") as Account | null;
    return account && Object.values(account.tokens).some(valid) ? account : null;
  } catch {
    return null;
  }
}

function store(account: Account | null): void {
  if (account) localStorage.setItem(ACCOUNT, JSON.stringify(account));
  else localStorage.removeItem(ACCOUNT);
  changed();
}

/** The signed-in account, while one of its tokens is still good. */
export function signedIn(): Account | null {
  return load();
}

/** Keeps what sign-up, sign-in or a refresh answered. */
export function remember(answer: SignedIn): void {
  const before = load();
  const tokens = before?.user === answer.user ? before.tokens : {};
  tokens[answer.role as Role] = { token: answer.token, exp: expiry(answer.token) };
  store({ user: answer.user, roles: answer.roles as Role[], tokens });
}

export function signOut(): void {
  store(null);
}

const pendingRole = new Map<Role, Promise<string | null>>();

/**
 * A token of the signed-in account for `role`, refreshed if need be; null
 * when nobody is signed in or the account does not hold the role.
 */
export async function tokenFor(role: Role = "viewer"): Promise<string | null> {
  const account = load();
  if (!account || !account.roles.includes(role)) return null;
  const kept = account.tokens[role];
  if (fresh(kept)) return kept.token;
  const pending = pendingRole.get(role);
  if (pending) return pending;
  const refreshing = refresh(account, role).finally(() => pendingRole.delete(role));
  pendingRole.set(role, refreshing);
  return refreshing;
}

async function refresh(account: Account, role: Role): Promise<string | null> {
  const current = Object.values(account.tokens).find(valid);
  if (!current) {
    store(null);
    return null;
  }
  const response = await fetch("/api/v1/login/refresh", {
    method: "POST",
    headers: { Authorization: `Bearer ${current.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ role }),
  });
  if (response.status === 401) {
    store(null);
    return null;
  }
  if (!response.ok) return null;
  const answer = (await response.json()) as SignedIn;
  remember(answer);
  return answer.token;
}

let pendingAnonymous: Promise<string> | null = null;

/** A token to watch with: the signed-in viewer's, else an anonymous session's. */
export async function watchingToken(role: Role = "viewer"): Promise<string> {
  const token = await tokenFor(role);
  if (token) return token;
  const kept = sessionStorage.getItem(ANONYMOUS);
  if (kept && fresh({ token: kept, exp: expiry(kept) })) return kept;
  pendingAnonymous ??= (async () => {
    try {
      const response = await fetch("/api/v1/sessions", { method: "POST" });
      if (!response.ok) throw new Error(`could not open a session (HTTP ${response.status})`);
      const { token } = (await response.json()) as { token: string };
      sessionStorage.setItem(ANONYMOUS, token);
      return token;
    } finally {
      pendingAnonymous = null;
    }
  })();
  return pendingAnonymous;
}

/** The signed-in account (or null), re-rendering on sign-in, sign-out and other tabs' changes. */
export function useSignedIn(): Account | null {
  const [account, setAccount] = useState(load);
  useEffect(() => {
    const update = () => setAccount(load());
    listeners.add(update);
    addEventListener("storage", update);
    return () => {
      listeners.delete(update);
      removeEventListener("storage", update);
    };
  }, []);
  return account;
}
