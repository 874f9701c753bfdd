/**
 * The notification bell: unread count, and the latest notifications (a
 * followed channel scheduled a show, is about to start, went live, pinned a
 * drop) — read a page at a time, new ones pushed over `GET /api/v1/me/live`.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { usePages } from "../api/pages";
import { LiveSocket } from "../live/socket";
import { MoreButton } from "../pages/Browse";

type Notification = Schemas["Notification"];

const SAID: Record<string, string> = {
  show_scheduled: "scheduled",
  show_reminder: "starts soon:",
  show_live: "is live:",
  drop_pinned: "dropped a product in",
};

/** Notifications read at a time. */
const PAGE = 20;

export function Bell({ user }: { user: string }) {
  const [unread, setUnread] = useState(0);
  const [readUpTo, setReadUpTo] = useState(-1);
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);
  const pages = usePages<Notification>(
    {
      read: async (cursor, limit) => {
        const query = { limit, ...(cursor ? { cursor } : {}) };
        const answer = ok(await api.GET("/api/v1/me/notifications", { params: { query } }));
        if (!cursor) setUnread(answer.unread);
        return answer;
      },
      keyOf: (item) => String(item.id),
      pageSize: PAGE,
    },
    [user],
  );
  const items = pages.items ?? [];

  const socket = useMemo(
    () =>
      new LiveSocket(
        { path: "/api/v1/me/live" },
        {
          frame: (frame) => {
            if (frame.type !== "notification") return;
            const { type: _type, ...notification } = frame;
            pages.prepend({ ...notification, read: false } as Notification);
            setUnread((count) => count + 1);
          },
          connection: () => undefined,
        },
      ),
    [user],
  );
  useEffect(() => () => socket.close(), [socket]);

  const markRead = async () => {
    const newest = items[0];
    if (!newest) return;
    ok(await api.POST("/api/v1/me/notifications/read", { body: { up_to: newest.id } }));
    setUnread(0);
    setReadUpTo(newest.id);
  };

  return (
    <div class="bell" ref={panel}>
      <button type="button" class="link" aria-expanded={open} aria-label={`Notifications, ${unread} unread`} onClick={() => setOpen(!open)}>
        🔔{unread > 0 && <span class="unread" data-testid="unread">{unread}</span>}
      </button>
      {open && (
        <div class="bell-panel" role="region" aria-label="Notifications">
          {items.length === 0 ? (
            <p class="hint">Follow channels to hear when they go live.</p>
          ) : (
            <ul>
              {items.map((item) => (
                <li key={item.id} class={item.read || item.id <= readUpTo ? "" : "fresh"} data-kind={item.kind}>
                  <a href={`/shows/${item.show_id}`} onClick={() => setOpen(false)}>
                    <b>{item.channel_name ?? item.channel}</b> {SAID[item.kind] ?? item.kind} {item.show_title ?? "a show"}
                  </a>
                </li>
              ))}
            </ul>
          )}
          <MoreButton pages={pages} label="Older" />
          {unread > 0 && (
            <button type="button" class="secondary small" onClick={() => void markRead()}>
              Mark all read
            </button>
          )}
        </div>
      )}
    </div>
  );
}
