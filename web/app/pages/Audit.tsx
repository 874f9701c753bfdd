/**
 * `/audit`: the auditor's and analyst's corner — an order's whole history
 * as a timeline (every event of the order and of the stock moves that
 * touched it, with actor, command, correlation and causation), and an
 * export of the event feed as NDJSON, filtered like `cartcast replay`.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiProblem, api, as, ok, type Schemas } from "../api/client";
import { type Role, tokenFor, useSignedIn } from "../api/session";

type HistoryEvent = Schemas["HistoryEvent"];

/** Which of the account's roles reads an order's history: an auditor's, else a seller's. */
const HISTORY_ROLES: Role[] = ["auditor", "creator"];
const EXPORT_ROLES: Role[] = ["analyst", "auditor"];

export function Audit() {
  const account = useSignedIn();
  useEffect(() => {
    document.title = "Audit · Cartcast";
  }, []);
  const historyRole = HISTORY_ROLES.find((role) => account?.roles.includes(role));
  const exportRole = EXPORT_ROLES.find((role) => account?.roles.includes(role));
  if (!historyRole && !exportRole) return <p class="empty">This page is for auditors, analysts and sellers.</p>;
  return (
    <main class="audit">
      <h1>Audit</h1>
      {historyRole && <OrderHistory role={historyRole} />}
      {exportRole && <Export role={exportRole} />}
    </main>
  );
}

function OrderHistory({ role }: { role: Role }) {
  const [orderId, setOrderId] = useState(new URLSearchParams(location.search).get("order") ?? "");
  const [events, setEvents] = useState<HistoryEvent[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const look = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      const answer = ok(
        await api.GET("/api/v1/orders/{id}/history", { params: { path: { id: orderId.trim() } }, headers: await as(role) }),
      );
      setEvents(answer.events);
    } catch (error) {
      setEvents(null);
      setProblem(error instanceof ApiProblem && error.code === "order_not_found" ? "No such order." : String(error));
    }
  };

  return (
    <section class="panel" aria-labelledby="history">
      <h2 id="history">An order's history</h2>
      <form class="inline" onSubmit={(event) => void look(event)}>
        <label for="order-id">Order id</label>
        <input id="order-id" required value={orderId} onInput={(e) => setOrderId((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Show history</button>
      </form>
      {problem && (
        <p class="form-problem" role="alert">
          {problem}
        </p>
      )}
      {events && (
        <ol class="timeline" data-testid="timeline">
          {events.map((e) => (
            <li key={e.event_id}>
              <p>
                <b class="event-type">{e.type}</b> <time dateTime={e.occurred_at}>{new Date(e.occurred_at).toLocaleString()}</time>
              </p>
              <p class="hint">
                {e.aggregate_type} {e.aggregate_id} #{e.sequence} · position {e.position} · by <b>{e.actor}</b>
              </p>
              <p class="ids">
                command {e.command_id}
                {e.correlation_id && ` · correlation ${e.correlation_id}`}
                {e.causation_id && ` · caused by ${e.causation_id}`}
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Export({ role }: { role: Role }) {
  const [type, setType] = useState("");
  const [after, setAfter] = useState("0");
  const [limit, setLimit] = useState("10000");
  const [result, setResult] = useState<{ url: string; lines: number; resume: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const fetchExport = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    const query = new URLSearchParams({ after, limit });
    if (type.trim()) query.set("type", type.trim());
    const token = await tokenFor(role);
    const response = await fetch(`/api/v1/events?${query}`, { headers: { Authorization: `Bearer ${token ?? ""}` } });
    if (!response.ok) {
      setProblem(`The export was refused (HTTP ${response.status}).`);
      return;
    }
    const text = await response.text();
    const lines = text.split("\n").filter(Boolean);
    const last = lines.length ? (JSON.parse(lines[lines.length - 1] ?? "{}") as { resume_after?: number }) : {};
    if (result) URL.revokeObjectURL(result.url);
    const url = URL.createObjectURL(new Blob([text], { type: "application/x-ndjson" }));
    setResult({ url, lines: Math.max(0, lines.length - 1), resume: String(last.resume_after ?? after) });
  };

  return (
    <section class="panel" aria-labelledby="export">
      <h2 id="export">Export events</h2>
      <form class="stack" onSubmit={(event) => void fetchExport(event)}>
        <label for="export-type">Event type (empty: all)</label>
        <input id="export-type" placeholder="OrderConfirmed" value={type} onInput={(e) => setType((e.currentTarget as HTMLInputElement).value)} />
        <label for="export-after">After position</label>
        <input id="export-after" inputMode="numeric" value={after} onInput={(e) => setAfter((e.currentTarget as HTMLInputElement).value)} />
        <label for="export-limit">At most</label>
        <input id="export-limit" inputMode="numeric" value={limit} onInput={(e) => setLimit((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Prepare export</button>
      </form>
      {problem && (
        <p class="form-problem" role="alert">
          {problem}
        </p>
      )}
      {result && (
        <p data-testid="export">
          {result.lines} events ·{" "}
          <a href={result.url} download={`cartcast-events-after-${after}.ndjson`}>
            Download NDJSON
          </a>{" "}
          · next export after {result.resume} (or `cartcast replay --after {result.resume}`)
        </p>
      )}
    </section>
  );
}
