/**
 * What a creator or an appointed moderator does to a show's chat: delete a
 * message (gone for everyone), time a user out, ban them. The studio acts
 * as the creator; a moderator acts from the viewer page as a viewer.
 */
import { useEffect, useState } from "preact/hooks";
import { actionKey, api, as, ok } from "./client";
import type { Role } from "./session";

/** How long the Timeout button silences someone. */
export const TIMEOUT_S = 600;

export async function deleteMessage(role: Role, showId: string, messageId: string): Promise<void> {
  ok(
    await api.DELETE("/api/v1/shows/{id}/chat/{message_id}", {
      params: { path: { id: showId, message_id: messageId }, header: actionKey() },
      headers: await as(role),
    }),
  );
}

/** Bans `user` from `channel`'s chat, or times them out for `durationS`; says what was done. */
export async function ban(role: Role, channel: string, user: string, durationS: number | null): Promise<string> {
  ok(
    await api.POST("/api/v1/channels/{channel}/bans", {
      params: { path: { channel }, header: actionKey() },
      headers: await as(role),
      body: { user, duration_s: durationS },
    }),
  );
  return durationS ? `${user} is timed out for ${durationS / 60} minutes.` : `${user} is banned from the channel.`;
}

/** Who may moderate a show's chat from its page, and as which role. */
export interface Moderator {
  role: Role;
  showId: string;
  /** The show's channel: its creator's user id. */
  channel: string;
}

/**
 * Whether the signed-in `user` moderates `show`'s chat: its creator (acting
 * as creator) or one of the channel's moderators (acting as a viewer).
 */
export function useModerator(show: { show_id: string; creator: string }, user: { user: string; roles: string[] } | null): Moderator | null {
  const [moderators, setModerators] = useState<string[]>([]);
  useEffect(() => {
    if (!user) return;
    void (async () => {
      const settings = ok(await api.GET("/api/v1/shows/{id}/chat-settings", { params: { path: { id: show.show_id } } }));
      setModerators(settings.moderators);
    })();
  }, [show.show_id, user?.user]);
  if (!user) return null;
  const base = { showId: show.show_id, channel: show.creator };
  if (user.user === show.creator && user.roles.includes("creator")) return { role: "creator", ...base };
  return moderators.includes(user.user) ? { role: "viewer", ...base } : null;
}
