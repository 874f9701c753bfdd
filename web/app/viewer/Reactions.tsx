/**
 * Reactions: one tap sends one; the show's totals, and a burst of floating
 * emoji whenever the totals grow (anyone's reactions, not only one's own).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { LiveSocket } from "../live/socket";

export const EMOJI = ["❤", "🔥", "😂", "👏", "😮"] as const;

/** Floating emoji shown at once, at most. */
const BURST_MAX = 24;
const FLOAT_MS = 1600;

interface Float {
  id: number;
  emoji: string;
  left: number;
}

interface Props {
  totals: Record<string, number>;
  socket: LiveSocket | null;
  canReact: boolean;
}

export function Reactions({ totals, socket, canReact }: Props) {
  const previous = useRef<Record<string, number> | null>(null);
  const [floats, setFloats] = useState<Float[]>([]);
  const nextId = useRef(0);

  useEffect(() => {
    const before = previous.current;
    previous.current = totals;
    if (!before) return;
    const fresh: Float[] = [];
    for (const [emoji, count] of Object.entries(totals)) {
      const grown = Math.min(count - (before[emoji] ?? 0), BURST_MAX);
      for (let i = 0; i < grown; i++) fresh.push({ id: nextId.current++, emoji, left: 10 + Math.random() * 80 });
    }
    if (fresh.length === 0) return;
    setFloats((current) => [...current, ...fresh].slice(-BURST_MAX));
    const ids = new Set(fresh.map((f) => f.id));
    window.setTimeout(() => setFloats((current) => current.filter((f) => !ids.has(f.id))), FLOAT_MS);
  }, [totals]);

  return (
    <section class="reactions" aria-label="Reactions">
      <div class="burst" aria-hidden="true">
        {floats.map((f) => (
          <span key={f.id} class="float" style={{ left: `${f.left}%` }}>
            {f.emoji}
          </span>
        ))}
      </div>
      {EMOJI.map((emoji) => (
        <button
          type="button"
          key={emoji}
          class="reaction"
          disabled={!canReact}
          aria-label={`React ${emoji}, ${totals[emoji] ?? 0} so far`}
          onClick={() => socket?.send({ type: "react", emoji })}
        >
          <span aria-hidden="true">{emoji}</span> <span class="count" data-emoji={emoji}>{totals[emoji] ?? 0}</span>
        </button>
      ))}
    </section>
  );
}
