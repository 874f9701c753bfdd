/**
 * "Clip the last 30 s": asks the media worker for an MP4 of the stream's
 * last 30 seconds, then reads the clip until it is ready (or failed) and
 * offers it.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiProblem, actionKey, api, ok } from "../api/client";

const SECONDS = 30;
const LOOK_EVERY_MS = 1000;

type State =
  | { kind: "idle" }
  | { kind: "cutting"; clipId: string; after: number | undefined }
  | { kind: "ready"; url: string }
  | { kind: "problem"; text: string };

export function ClipButton({ showId }: { showId: string }) {
  const [state, setState] = useState<State>({ kind: "idle" });

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
      setState({ kind: "problem", text: error instanceof ApiProblem ? error.message : String(error) });
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
        <button type="button" class="secondary" disabled={state.kind === "cutting"} onClick={() => void request()}>
          {state.kind === "cutting" ? "Cutting your clip…" : `Clip the last ${SECONDS} s`}
        </button>
      )}
      {state.kind === "problem" && <span class="form-problem"> {state.text}</span>}
    </div>
  );
}
