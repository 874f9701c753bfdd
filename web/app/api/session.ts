/**
 * Who the page acts as: a signed-in user's token (kept in localStorage), or
 * else an anonymous session (`POST /api/v1/sessions`, kept for the tab) that
 * may watch and be counted but not chat or buy.
 */
import { useEffect, useState } from "preact/hooks";

export interface Session {
  token: string;
  sub: string;
  role: string;
  anonymous: boolean;
  /** Seconds since the Unix epoch. */
  exp: number;
}

const SIGNED_IN = "cartcast.token";
const ANONYMOUS = "cartcast.anonymous";
/** Renew a token this long before it expires. */
const MARGIN_S = 60;

const listeners = new Set<() => void>();

/** Reads a token's claims (the server verifies it; the page only needs to know whose it is). */
export function decode(token: string): Session | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as { sub?: string; role?: string; exp?: number; anonymous?: boolean };
    if (typeof claims.sub !== "string" || typeof claims.exp !== "number") return null;
    return { token, sub: claims.sub, role: claims.role ?? "viewer", anonymous: !!claims.anonymous, exp: claims.exp };
  } catch {
    return null;
  }
}

function fresh(session: Session | null): session is Session {
  return !!session && session.exp - MARGIN_S > Date.now() / 1000;
}

/** The signed-in user, if their token is still good. */
export function signedIn(): Session | null {
  const session = decode(localStorage.getItem(SIGNED_IN) ?? "");
  return fresh(session) ? session : null;
}

export function signIn(token: string): void {
  localStorage.setItem(SIGNED_IN, token);
  listeners.forEach((listener) => listener());
}

export function signOut(): void {
  localStorage.removeItem(SIGNED_IN);
  listeners.forEach((listener) => listener());
}

let pending: Promise<Session> | null = null;

/** A session to watch with: the signed-in one, else a (new, if need be) anonymous one. */
export async function watchingSession(): Promise<Session> {
  const user = signedIn();
  if (user) return user;
  const kept = decode(sessionStorage.getItem(ANONYMOUS) ?? "");
  if (fresh(kept)) return kept;
  pending ??= (async () => {
    try {
      const response = await fetch("/api/v1/sessions", { method: "POST" });
      if (!response.ok) throw new Error(`could not open a session (HTTP ${response.status})`);
      const { token } = (await response.json()) as { token: string };
      const session = decode(token);
      if (!session) throw new Error("the server issued an unreadable session token");
      sessionStorage.setItem(ANONYMOUS, token);
      return session;
    } finally {
      pending = null;
    }
  })();
  return pending;
}

/** The signed-in user (or null), re-rendering on sign-in and sign-out. */
export function useSignedIn(): Session | null {
  const [session, setSession] = useState(signedIn);
  useEffect(() => {
    const update = () => setSession(signedIn());
    listeners.add(update);
    addEventListener("storage", update);
    return () => {
      listeners.delete(update);
      removeEventListener("storage", update);
    };
  }, []);
  return session;
}
