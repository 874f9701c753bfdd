/** Sending the audience to another live channel at the end of the show. */
import { useState } from "preact/hooks";
import { ApiProblem, api, as, ok, problemText } from "../api/client";

export function Raid({ showId, live }: { showId: string; live: boolean }) {
  const [target, setTarget] = useState("");
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);

  const raid = async (event: Event) => {
    event.preventDefault();
    try {
      ok(await api.POST("/api/v1/shows/{id}/raid", { params: { path: { id: showId } }, headers: await as("creator"), body: { target } }));
      setSaid({ ok: true, text: `Your viewers are on their way to ${target}.` });
    } catch (error) {
      const text =
        error instanceof ApiProblem && error.code === "target_not_live" ? `${target} is not live now.` : problemText(error);
      setSaid({ ok: false, text });
    }
  };

  return (
    <section class="panel" aria-labelledby="raid">
      <h2 id="raid">Raid</h2>
      <form class="inline" onSubmit={(event) => void raid(event)}>
        <label for="raid-target">Channel</label>
        <input id="raid-target" required value={target} onInput={(e) => setTarget((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" disabled={!live}>
          Raid
        </button>
      </form>
      {said && (
        <p class={said.ok ? "form-ok" : "form-problem"} role="status">
          {said.text}
        </p>
      )}
    </section>
  );
}
