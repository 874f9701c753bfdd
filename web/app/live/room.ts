/**
 * The room as the page shows it, folded from the socket's frames: chat (with
 * moderation's deletions), counts, reactions, the poll, the pinned product
 * and its stock, and the last refusal.
 */
import { useEffect, useMemo, useReducer } from "preact/hooks";
import type { ChatMessage, ProductAnswer, ServerFrame } from "@gen/frames";
import type { Role } from "../api/session";
import { type Connection, LiveSocket } from "./socket";

type Frame<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;

/** Chat lines kept on the page; older ones scroll away. */
const CHAT_KEPT = 200;

export interface Room {
  connection: Connection;
  chat: ChatMessage[];
  highlight: ChatMessage | null;
  viewers: { connected: number; watching: number } | null;
  reactions: Record<string, number>;
  poll: Frame<"poll"> | null;
  /** The option this socket's user voted for, per poll. */
  voted: Record<string, number>;
  pinned: ProductAnswer | null;
  /** Available units per product, newest first from `stock` frames. */
  stock: Record<string, number>;
  refusal: (Frame<"error"> & { at: number }) | null;
  raid: Frame<"raid"> | null;
  raided: Frame<"raided"> | null;
  dashboard: Frame<"dashboard"> | null;
}

const EMPTY: Room = {
  connection: "connecting",
  chat: [],
  highlight: null,
  viewers: null,
  reactions: {},
  poll: null,
  voted: {},
  pinned: null,
  stock: {},
  refusal: null,
  raid: null,
  raided: null,
  dashboard: null,
};

type Action = { kind: "frame"; frame: ServerFrame } | { kind: "connection"; state: Connection };

function fold(room: Room, action: Action): Room {
  if (action.kind === "connection") return { ...room, connection: action.state };
  const frame = action.frame;
  switch (frame.type) {
    case "chat": {
      const known = new Set(room.chat.map((message) => message.id));
      const fresh = frame.messages.filter((message) => !known.has(message.id));
      return { ...room, chat: [...room.chat, ...fresh].slice(-CHAT_KEPT) };
    }
    case "chat_deleted":
      return {
        ...room,
        chat: room.chat.filter((message) => message.id !== frame.message_id),
        highlight: room.highlight?.id === frame.message_id ? null : room.highlight,
      };
    case "highlight":
      return { ...room, highlight: frame.message };
    case "viewers":
      return { ...room, viewers: { connected: frame.connected, watching: frame.watching } };
    case "reactions":
      return { ...room, reactions: frame.totals };
    case "poll":
      return { ...room, poll: frame };
    case "voted":
      return { ...room, voted: { ...room.voted, [frame.poll_id]: frame.option } };
    case "pinned":
      return {
        ...room,
        pinned: frame.product,
        stock: { ...room.stock, [frame.product.product_id]: frame.product.stock.available },
      };
    case "unpinned":
      return { ...room, pinned: room.pinned?.product_id === frame.product_id ? null : room.pinned };
    case "stock":
      return { ...room, stock: { ...room.stock, [frame.product_id]: frame.available } };
    case "error":
      return { ...room, refusal: { ...frame, at: Date.now() } };
    case "raid":
      return { ...room, raid: frame };
    case "raided":
      return { ...room, raided: frame };
    case "dashboard":
      return { ...room, dashboard: frame };
    default:
      return room;
  }
}

/** Joins the show's room (as `role`) for as long as the component is mounted. */
export function useRoom(showId: string, role: Role = "viewer"): { room: Room; socket: LiveSocket | null } {
  const [room, dispatch] = useReducer(fold, EMPTY);
  const socket = useMemo(
    () =>
      new LiveSocket(
        { path: `/api/v1/shows/${encodeURIComponent(showId)}/live`, role, heartbeats: true },
        {
          frame: (frame) => dispatch({ kind: "frame", frame }),
          connection: (state) => dispatch({ kind: "connection", state }),
        },
      ),
    [showId, role],
  );
  useEffect(() => () => socket.close(), [socket]);
  return { room, socket };
}
