/**
 * A show as its page reads it: loaded, then read again every `everyMs`
 * (its status — scheduled, live, ended — is not on the socket); `missing`
 * once the API answers 404, until a later read finds it. `reload(position)`
 * reads it again at once, as of a command's answer.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiProblem, api, as, ok, type Schemas } from "./client";
import type { Role } from "./session";

type Show = Schemas["Show"];

interface Options {
  everyMs: number;
  /** Read as this role (the creator sees the stream key). */
  role?: Role;
  /** The first read waits until the read models reach this position (a just-created show). */
  after?: number;
}

interface Read {
  show: Show | null;
  missing: boolean;
  reload(position?: number | null): void;
}

export function useShow(showId: string, { everyMs, role, after }: Options): Read {
  const [show, setShow] = useState<Show | null>(null);
  const [missing, setMissing] = useState(false);
  const [asOf, setAsOf] = useState<{ after?: number }>(after === undefined ? {} : { after });

  useEffect(() => {
    let current = true;
    let query = asOf;
    const load = async () => {
      try {
        const headers = role ? await as(role) : {};
        const answer = ok(await api.GET("/api/v1/shows/{id}", { params: { path: { id: showId }, query }, headers }));
        query = {};
        if (current) {
          setShow(answer);
          setMissing(false);
        }
      } catch (error) {
        if (current && error instanceof ApiProblem && error.status === 404) setMissing(true);
      }
    };
    void load();
    const timer = window.setInterval(() => void load(), everyMs);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [showId, asOf]);

  const reload = (position?: number | null) => setAsOf(position == null ? {} : { after: position });
  return { show, missing, reload };
}
