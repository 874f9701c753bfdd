/**
 * The live dashboard, pushed to the creator's socket every ~2 s: watching
 * now, peak and unique viewers, orders and revenue, conversion, per-minute
 * viewers and sales, and each product's sell-through.
 */
import type { Schemas } from "../api/client";
import type { Room } from "../live/room";
import { price } from "../money";
import { BarChart, LineChart } from "./Charts";

type Product = Schemas["Product"];

interface Props {
  dashboard: Room["dashboard"];
  viewers: Room["viewers"];
  products: Product[];
}

export function Dashboard({ dashboard, viewers, products }: Props) {
  if (!dashboard) {
    return (
      <section class="panel dashboard" aria-labelledby="dashboard">
        <h2 id="dashboard">Dashboard</h2>
        <p class="hint">Figures arrive every few seconds once the show has an audience.</p>
      </section>
    );
  }
  const minutes = dashboard.per_minute;
  const ticks = minutes.map((m) => new Date(m.t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  const watching = viewers?.watching ?? dashboard.viewers.watching;
  // Audience samples are recorded every ~10 s; until the first, conversion has no denominator.
  const unique = dashboard.viewers.unique;
  const title = (id: string) => products.find((p) => p.product_id === id)?.title ?? id.slice(0, 8);
  return (
    <section class="panel dashboard" aria-labelledby="dashboard">
      <h2 id="dashboard">Dashboard</h2>
      <dl class="figures">
        <div>
          <dt>Watching</dt>
          <dd data-testid="dash-watching">{watching}</dd>
        </div>
        <div>
          <dt>Peak · unique</dt>
          <dd>
            {Math.max(dashboard.viewers.peak, watching)} · {unique || "…"}
          </dd>
        </div>
        <div>
          <dt>Orders</dt>
          <dd data-testid="dash-orders">{dashboard.orders}</dd>
        </div>
        <div>
          <dt>Revenue</dt>
          <dd data-testid="dash-revenue">{price(dashboard.revenue_minor, dashboard.currency)}</dd>
        </div>
        <div>
          <dt>Conversion</dt>
          <dd data-testid="dash-conversion">{unique ? `${(dashboard.conversion * 100).toFixed(1)}%` : "…"}</dd>
        </div>
      </dl>
      <h3>Viewers per minute</h3>
      <LineChart label="Most watching per minute" values={minutes.map((m) => m.watching)} ticks={ticks} />
      <h3>Orders per minute</h3>
      <BarChart label="Confirmed orders per minute" values={minutes.map((m) => m.orders)} ticks={ticks} />
      <h3>Sell-through</h3>
      <ul class="sell-through">
        {dashboard.products.map((p) => {
          const total = p.sold + p.available;
          const share = total ? Math.round((p.sold * 100) / total) : 0;
          return (
            <li key={p.product_id}>
              <span>
                {title(p.product_id)}: {p.sold} of {total} sold
                {p.sold_out_after_s != null && ` · sold out after ${Math.round(p.sold_out_after_s / 60)} min`}
              </span>
              <span class="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={share} aria-label={`${title(p.product_id)} sold`}>
                <span style={{ width: `${share}%` }} />
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
