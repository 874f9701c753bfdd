/**
 * The notification bell: unread count, and the latest notifications (a
 * followed channel scheduled a show, is about to start, went live, pinned a
 * drop) — read at first, then pushed over `GET /api/v1/me/live`.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { LiveSocket } from "../live/socket";

type Notification = Schemas["Notification"];

const SAID: Record<string, string> = {
  show_scheduled: "scheduled",
  show_reminder: "starts soon:",
  show_live: "is live:",
  drop_pinned: "dropped a product in",
};

export function Bell({ user }: { user: string }) {
  const [items, setItems] = useState<Notification[]>([]);
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void (async () => {
      const answer = ok(await api.GET("/api/v1/me/notifications", {}));
      setItems(answer.items);
      setUnread(answer.unread);
    })();
  }, [user]);

  const socket = useMemo(
    () =>
      new LiveSocket(
        { path: "/api/v1/me/live" },
        {
          frame: (frame) => {
            if (frame.type !== "notification") return;
            const { type: _type, ...notification } = frame;
            const item = { ...notification, read: false } as Notification;
            setItems((current) => (current.some((i) => i.id === item.id) ? current : [item, ...current].slice(0, 50)));
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
    setItems((current) => current.map((item) => ({ ...item, read: true })));
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
                <li key={item.id} class={item.read ? "" : "fresh"} data-kind={item.kind}>
                  <a href={`/shows/${item.show_id}`} onClick={() => setOpen(false)}>
                    <b>{item.channel_name ?? item.channel}</b> {SAID[item.kind] ?? item.kind} {item.show_title ?? "a show"}
                  </a>
                </li>
              ))}
            </ul>
          )}
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
