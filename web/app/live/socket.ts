/**
 * One show's live socket (`GET /api/v1/shows/{id}/live`): typed frames from
 * the gateway's JSON Schema (gen/frames.d.ts), heartbeats saying what the
 * player does, and reconnection — with a fresh token after close 4440.
 */
import type { ClientFrame, PlayerState, ServerFrame } from "@gen/frames";
import { type Role, watchingToken } from "../api/session";

/** Close codes of the socket protocol (realtime/PROTOCOL.md). */
export const CLOSE = { badToken: 4401, banned: 4403, tokenExpired: 4440, tooSlow: 4008, flood: 1008 } as const;

const HEARTBEAT_MS = 15_000;
const MAX_BACKOFF_MS = 10_000;

export type Connection = "connecting" | "open" | "closed" | "banned";

export interface LiveHandlers {
  frame(frame: ServerFrame): void;
  connection(state: Connection): void;
}

export interface Options {
  /** `/api/v1/shows/{id}/live` or `/api/v1/me/live`. */
  path: string;
  /** Whose token opens it: a viewer's (or an anonymous session's), or the studio's creator's. */
  role?: Role;
  /** Say what the player does (a show's room counts who watches). */
  heartbeats?: boolean;
}

export class LiveSocket {
  private socket: WebSocket | null = null;
  private heartbeat: number | undefined;
  private retry: number | undefined;
  private backoffMs = 500;
  private stopped = false;
  private state: PlayerState = "paused";

  constructor(
    private readonly options: Options,
    private readonly handlers: LiveHandlers,
  ) {
    void this.connect();
  }

  /** Sends a frame if the socket is open; false when it could not. */
  send(frame: ClientFrame): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** What the player does now; said at once and then with every heartbeat. */
  player(state: PlayerState): void {
    if (state === this.state) return;
    this.state = state;
    if (this.options.heartbeats) this.send({ type: "heartbeat", state });
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    this.socket?.close(1000);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.handlers.connection("connecting");
    let token: string;
    try {
      token = await watchingToken(this.options.role ?? "viewer");
    } catch {
      this.later();
      return;
    }
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}${this.options.path}?token=${encodeURIComponent(token)}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.backoffMs = 500;
      this.handlers.connection("open");
      if (!this.options.heartbeats) return;
      this.send({ type: "heartbeat", state: this.visibleState() });
      this.heartbeat = window.setInterval(() => this.send({ type: "heartbeat", state: this.visibleState() }), HEARTBEAT_MS);
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      this.handlers.frame(JSON.parse(event.data) as ServerFrame);
    };
    socket.onclose = (event) => {
      clearInterval(this.heartbeat);
      if (this.stopped) return;
      if (event.code === CLOSE.banned) {
        this.handlers.connection("banned");
        return;
      }
      this.handlers.connection("closed");
      this.later();
    };
  }

  private visibleState(): PlayerState {
    return document.visibilityState === "hidden" ? "hidden" : this.state;
  }

  private later(): void {
    this.retry = window.setTimeout(() => void this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }
}
