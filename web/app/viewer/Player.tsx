/**
 * The show's video: hls.js in low-latency mode (loaded on demand, so the
 * page's own script stays small), a quality menu, a button back to the live
 * edge, and a debug overlay with the measured latency (`?debug` or the "i"
 * button). Safari plays LL-HLS natively.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type Hls from "hls.js";
import type { PlayerState } from "@gen/frames";

interface Props {
  manifestUrl: string;
  /** What the player does, for the room's "watching" count. */
  onState?(state: PlayerState): void;
  /** The playhead, in seconds from the start (a replay syncs its chat and pins to it). */
  onTime?(seconds: number): void;
  /** A replay has no live edge to go back to. */
  replay?: boolean;
}

interface Level {
  index: number;
  label: string;
}

/** Behind the live edge by more than this, the live-edge button lights up. */
const BEHIND_S = 4;

/**
 * Starts fetching hls.js now, while the page is still reading the show,
 * so the player does not wait for it once it mounts (the module loader
 * fetches a module once; the player's own import finds it there).
 */
export function preloadPlayer(): void {
  void import("hls.js/light");
}

export function Player({ manifestUrl, onState, onTime, replay = false }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const hls = useRef<Hls | null>(null);
  const [levels, setLevels] = useState<Level[]>([]);
  const [level, setLevel] = useState(-1);
  const [latency, setLatency] = useState<number | null>(null);
  const [behind, setBehind] = useState(false);
  const [debug, setDebug] = useState(() => new URLSearchParams(location.search).has("debug"));
  const [failure, setFailure] = useState<string | null>(null);
  const [muted, setMuted] = useState(true);

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    let stopped = false;
    let player: Hls | null = null;
    void (async () => {
      const { default: HlsJs } = await import("hls.js/light");
      if (stopped) return;
      if (!HlsJs.isSupported()) {
        element.src = manifestUrl;
        return;
      }
      // The target latency is the playlist's PART-HOLD-BACK; playing up to 10% faster catches up after a stall.
      const created = new HlsJs({ lowLatencyMode: true, backBufferLength: 30, maxLiveSyncPlaybackRate: 1.1 });
      player = created;
      hls.current = created;
      created.on(HlsJs.Events.MANIFEST_PARSED, (_event, data) => {
        setLevels(data.levels.map((l, index) => ({ index, label: l.height ? `${l.height}p` : "audio" })));
        void element.play().catch(() => undefined);
      });
      created.on(HlsJs.Events.LEVEL_SWITCHED, (_event, data) => setLevel(created.autoLevelEnabled ? -1 : data.level));
      created.on(HlsJs.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        setFailure(data.type === HlsJs.ErrorTypes.NETWORK_ERROR ? "The stream is not reachable yet; retrying…" : data.details);
        if (data.type === HlsJs.ErrorTypes.MEDIA_ERROR) created.recoverMediaError();
        else window.setTimeout(() => created.loadSource(manifestUrl), 2000);
      });
      created.on(HlsJs.Events.FRAG_BUFFERED, () => setFailure(null));
      created.loadSource(manifestUrl);
      created.attachMedia(element);
    })();
    const tick = window.setInterval(() => {
      const current = hls.current;
      if (!current || current.latency === undefined) return;
      setLatency(Number.isFinite(current.latency) ? current.latency : null);
      setBehind(current.latency > (current.targetLatency ?? 3) + BEHIND_S);
    }, 500);
    return () => {
      stopped = true;
      clearInterval(tick);
      player?.destroy();
      hls.current = null;
    };
  }, [manifestUrl]);

  const chooseLevel = (value: number) => {
    setLevel(value);
    if (hls.current) hls.current.currentLevel = value;
  };

  const toLiveEdge = () => {
    const element = video.current;
    const position = hls.current?.liveSyncPosition;
    if (element && position) element.currentTime = position;
    void element?.play();
  };

  return (
    <figure class="player">
      <video
        ref={video}
        muted={muted}
        playsInline
        autoplay
        aria-label="Live video"
        onPlaying={() => {
          // Time from navigation to the first frame, for whoever measures it (the browser tests do).
          if (performance.getEntriesByName("first-frame").length === 0) performance.mark("first-frame");
          onState?.("playing");
        }}
        onPause={() => onState?.("paused")}
        onWaiting={() => onState?.("paused")}
        onTimeUpdate={(event) => onTime?.((event.currentTarget as HTMLVideoElement).currentTime)}
        onVolumeChange={(event) => setMuted((event.currentTarget as HTMLVideoElement).muted)}
      />
      {failure && <p class="player-failure" role="status">{failure}</p>}
      <div class="player-bar">
        <button type="button" onClick={() => video.current && (video.current.muted = !muted)}>
          {muted ? "Unmute" : "Mute"}
        </button>
        {!replay && (
          <button type="button" class={behind ? "live-edge behind" : "live-edge"} onClick={toLiveEdge}>
            {behind ? "Go live" : "Live"}
          </button>
        )}
        <label class="quality">
          <span class="visually-hidden">Quality</span>
          <select value={level} onChange={(event) => chooseLevel(Number((event.currentTarget as HTMLSelectElement).value))}>
            <option value={-1}>Auto</option>
            {levels.map((l) => (
              <option key={l.index} value={l.index}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-pressed={debug} aria-label="Debug overlay" onClick={() => setDebug(!debug)}>
          i
        </button>
      </div>
      {debug && (
        <figcaption class="player-debug" data-testid="latency">
          latency {latency === null ? "…" : `${latency.toFixed(2)} s`}
          {level >= 0 && levels[level] ? ` · ${levels[level]?.label}` : " · auto"}
        </figcaption>
      )}
    </figure>
  );
}
