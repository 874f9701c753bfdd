/** Opening a poll (2–6 options, optionally timed) and closing it; its counts come live from the room. */
import { useState } from "preact/hooks";
import { actionKey, api, as, ok, problemText } from "../api/client";
import type { Room } from "../live/room";

export function PollControl({ showId, poll }: { showId: string; poll: Room["poll"] }) {
  const [question, setQuestion] = useState("");
  const [options, setOptions] = useState("");
  const [minutes, setMinutes] = useState("");
  const [changeable, setChangeable] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const open = async (event: Event) => {
    event.preventDefault();
    const list = options.split("\n").map((o) => o.trim()).filter(Boolean);
    try {
      ok(
        await api.POST("/api/v1/shows/{id}/polls", {
          params: { path: { id: showId }, header: actionKey() },
          headers: await as("creator"),
          body: { question, options: list, changeable, duration_s: minutes ? Math.round(Number(minutes) * 60) : null },
        }),
      );
      setQuestion("");
      setOptions("");
      setProblem(null);
    } catch (error) {
      setProblem(problemText(error));
    }
  };

  const close = async () => {
    if (!poll) return;
    ok(await api.POST("/api/v1/polls/{id}/close", { params: { path: { id: poll.poll_id } }, headers: await as("creator") }));
  };

  return (
    <section class="panel" aria-labelledby="polls">
      <h2 id="polls">Poll</h2>
      {poll?.open ? (
        <div>
          <p>{poll.question}</p>
          <ul class="poll-counts">
            {poll.options.map((option, index) => (
              <li key={index}>
                {option}: <strong data-option={index}>{poll.counts[index] ?? 0}</strong>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => void close()}>
            Close poll
          </button>
        </div>
      ) : (
        <form class="stack" onSubmit={(event) => void open(event)}>
          <label for="poll-question">Question</label>
          <input id="poll-question" required value={question} onInput={(e) => setQuestion((e.currentTarget as HTMLInputElement).value)} />
          <label for="poll-options">Options, one per line (2 to 6)</label>
          <textarea id="poll-options" rows={3} required value={options} onInput={(e) => setOptions((e.currentTarget as HTMLTextAreaElement).value)} />
          <label for="poll-minutes">Closes by itself after (minutes; empty: when you close it)</label>
          <input id="poll-minutes" inputMode="decimal" value={minutes} onInput={(e) => setMinutes((e.currentTarget as HTMLInputElement).value)} />
          <label class="check">
            <input type="checkbox" checked={changeable} onChange={() => setChangeable(!changeable)} /> Viewers may change their vote
          </label>
          <button type="submit">Open poll</button>
          {problem && (
            <p class="form-problem" role="alert">
              {problem}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
