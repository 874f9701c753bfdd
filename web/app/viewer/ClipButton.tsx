/**
 * "Clip the last 30 s": asks the media worker for an MP4 of the stream's
 * last 30 seconds, then reads the clip until it is ready (or failed) and
 * offers it. In a show's first 30 s it counts down to the first clip.
 */
import { useEffect, useState } from "preact/hooks";
import { actionKey, api, ok, problemText } from "../api/client";

const SECONDS = 30;
/** A whole clip and the segment still being written (2 s GOPs) into the show. */
const READY_AFTER_S = SECONDS + 3;
const LOOK_EVERY_MS = 1000;

type State =
  | { kind: "idle" }
  | { kind: "cutting"; clipId: string; after: number | undefined }
  | { kind: "ready"; url: string }
  | { kind: "problem"; text: string };

/** Seconds until the stream holds a whole clip, from when the show went live. */
function useWaitForStream(liveAt: string | null | undefined): number {
  const until = liveAt ? new Date(liveAt).getTime() + READY_AFTER_S * 1000 : 0;
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until <= now) return;
    const timer = window.setTimeout(() => setNow(Date.now()), 1000);
    return () => clearTimeout(timer);
  }, [until, now]);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

export function ClipButton({ showId, liveAt }: { showId: string; liveAt: string | null | undefined }) {
  const [state, setState] = useState<State>({ kind: "idle" });
  const waitS = useWaitForStream(liveAt);

  const request = async () => {
    try {
      const clip = ok(
        await api.POST("/api/v1/clips", {
          params: { header: actionKey() },
          body: { show_id: showId, seconds: SECONDS },
        }),
      );
      setState({ kind: "cutting", clipId: clip.clip_id, after: clip.position ?? undefined });
    } catch (error) {
      setState({ kind: "problem", text: problemText(error) });
    }
  };

  const cutting = state.kind === "cutting" ? state : null;
  useEffect(() => {
    if (!cutting) return;
    const timer = window.setInterval(async () => {
      const query = cutting.after === undefined ? {} : { after: cutting.after };
      const read = await api.GET("/api/v1/clips/{id}", { params: { path: { id: cutting.clipId }, query } });
      if (read.data?.status === "ready" && read.data.url) setState({ kind: "ready", url: read.data.url });
      if (read.data?.status === "failed") {
        setState({ kind: "problem", text: `The clip could not be cut: ${read.data.reason ?? "try again"}.` });
      }
    }, LOOK_EVERY_MS);
    return () => clearInterval(timer);
  }, [cutting?.clipId]);

  return (
    <div class="clip" role="status">
      {state.kind === "ready" ? (
        <a href={state.url} download data-testid="clip-link">
          Your clip is ready: download
        </a>
      ) : (
        <button type="button" class="secondary" disabled={state.kind === "cutting" || waitS > 0} onClick={() => void request()}>
          {state.kind === "cutting" ? "Cutting your clip…" : waitS > 0 ? `Clips in ${waitS} s` : `Clip the last ${SECONDS} s`}
        </button>
      )}
      {state.kind === "problem" && <span class="form-problem"> {state.text}</span>}
    </div>
  );
}
