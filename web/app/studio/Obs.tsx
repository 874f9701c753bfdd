/**
 * What to type into OBS: the ingest URL, the stream key (hidden until asked
 * for; rotating it revokes the old one), and the recommended encoder settings.
 */
import { useState } from "preact/hooks";
import { api, as, ok, type Schemas } from "../api/client";
import { ConfirmButton } from "./ConfirmButton";

type Show = Schemas["Show"];

export function Obs({ show }: { show: Show }) {
  const [shown, setShown] = useState(false);
  const [key, setKey] = useState(show.stream_key ?? "");
  const [copied, setCopied] = useState<string | null>(null);
  const ingest = show.ingest_url ?? "";

  /** Copies to the clipboard; where the browser refuses, selects the text for Ctrl+C instead. */
  const copy = async (what: string, value: string, testId: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(what);
    } catch {
      const element = document.querySelector(`[data-testid=${testId}]`);
      if (element) getSelection()?.selectAllChildren(element);
      setCopied(`${what}-selected`);
    }
    window.setTimeout(() => setCopied(null), 2500);
  };
  const copyLabel = (what: string) =>
    copied === what ? "Copied" : copied === `${what}-selected` ? "Selected: press Ctrl+C" : "Copy";

  const rotate = async () => {
    const answer = ok(await api.POST("/api/v1/channels/me/stream-key", { headers: await as("creator") }));
    setKey(answer.stream_key);
    setShown(true);
  };

  return (
    <section class="panel obs" aria-labelledby="obs">
      <h2 id="obs">Go live from OBS</h2>
      <dl>
        <dt>Server</dt>
        <dd>
          <code data-testid="ingest-url">{ingest}</code>{" "}
          <button type="button" class="secondary small" onClick={() => void copy("server", ingest, "ingest-url")}>
            {copyLabel("server")}
          </button>
        </dd>
        <dt>Stream key</dt>
        <dd>
          <code data-testid="stream-key">{shown ? key : "•".repeat(24)}</code>{" "}
          <button type="button" class="secondary small" onClick={() => setShown(!shown)} aria-pressed={shown}>
            {shown ? "Hide" : "Show"}
          </button>{" "}
          <button type="button" class="secondary small" onClick={() => void copy("key", key, "stream-key")} disabled={!shown}>
            {copyLabel("key")}
          </button>{" "}
          <ConfirmButton id="rotate-key" label="Rotate" question="The old key stops working, also in OBS." yes="New key" onConfirm={rotate} />
        </dd>
        <dt>Encoder</dt>
        <dd>x264 (or NVENC) · 2,500–4,500 kbps CBR · keyframe interval 2 s · AAC 128 kbps, 48 kHz</dd>
        <dt>Output</dt>
        <dd>1280×720 or 1920×1080 at 30 fps; the platform makes the lower renditions.</dd>
      </dl>
    </section>
  );
}
