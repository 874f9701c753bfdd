/** Two small SVG charts for the dashboard (no chart library: a line and bars are a few lines each). */

interface Series {
  /** The accessible name: what the chart shows. */
  label: string;
  values: number[];
  /** X-axis labels, one per value. */
  ticks: string[];
}

const WIDTH = 320;
const HEIGHT = 110;
const PAD = 18;

function scale(values: number[]) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? (WIDTH - 2 * PAD) / (values.length - 1) : 0;
  return { max, x: (i: number) => PAD + i * step, y: (v: number) => HEIGHT - PAD - (v / max) * (HEIGHT - 2 * PAD) };
}

function Axis({ ticks, x, max }: { ticks: string[]; x(i: number): number; max: number }) {
  const first = ticks[0];
  const last = ticks[ticks.length - 1];
  return (
    <>
      <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} class="axis" />
      <text x={2} y={PAD} class="tick">
        {max}
      </text>
      {first && (
        <text x={x(0)} y={HEIGHT - 4} class="tick">
          {first}
        </text>
      )}
      {last && ticks.length > 1 && (
        <text x={x(ticks.length - 1)} y={HEIGHT - 4} class="tick" text-anchor="end">
          {last}
        </text>
      )}
    </>
  );
}

export function LineChart({ label, values, ticks }: Series) {
  const { max, x, y } = scale(values);
  const points = values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
  return (
    <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}: ${values.join(", ")}`} class="chart">
      <Axis ticks={ticks} x={x} max={max} />
      {values.length > 1 ? <polyline points={points} class="line" /> : values.length === 1 && <circle cx={x(0)} cy={y(values[0] ?? 0)} r={3} class="dot" />}
    </svg>
  );
}

export function BarChart({ label, values, ticks }: Series) {
  const { max, y } = scale(values);
  // At most 24 px a bar, so a show's first minutes do not draw slabs.
  const band = Math.min(24, (WIDTH - 2 * PAD) / Math.max(1, values.length));
  const x = (i: number) => PAD + i * band + band / 2;
  return (
    <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}: ${values.join(", ")}`} class="chart">
      <Axis ticks={ticks} x={x} max={max} />
      {values.map((v, i) => (
        <rect key={i} x={PAD + i * band + band * 0.15} y={y(v)} width={band * 0.7} height={HEIGHT - PAD - y(v)} class="bar" />
      ))}
    </svg>
  );
}
