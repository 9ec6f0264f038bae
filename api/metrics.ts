// The API's counters in Prometheus' text format (version 0.0.4), without a client library: requests by
// route and status, request durations, events accepted by type and name, errors by code. Event names come
// from clients, so their number of series is capped (the rest count under name="__other__").

type Labels = Record<string, string>;

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Labels): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly maxSeries = 10_000,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelText(labels);
    if (!this.values.has(key) && this.values.size >= this.maxSeries) return;
    const entry = this.values.get(key) ?? { labels: { ...labels }, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }

  get(labels: Labels): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }

  has(labels: Labels): boolean {
    return this.values.has(labelText(labels));
  }

  get seriesCount(): number {
    return this.values.size;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    const s = this.series.get(key) ?? { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((le, i) => {
      if (value <= le) s.counts[i] += 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(key, s);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export const MAX_EVENT_NAME_SERIES = 500;

export class ApiMetrics {
  readonly requests = new Counter('omnijourney_api_requests_total', 'HTTP requests by route, method and status code.');
  readonly duration = new Histogram(
    'omnijourney_api_request_duration_seconds',
    'HTTP request duration by route.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly events = new Counter('omnijourney_api_events_accepted_total', 'Events Temporal has durably accepted, by type and event name.');
  readonly errors = new Counter('omnijourney_api_errors_total', 'Requests answered with an error, by route and error code.');

  request(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.duration.observe({ route }, seconds);
  }

  accepted(type: string, name: string): void {
    const labels = { type, name };
    if (!this.events.has(labels) && this.events.seriesCount >= MAX_EVENT_NAME_SERIES) labels.name = '__other__';
    this.events.inc(labels);
  }

  error(route: string, code: string): void {
    this.errors.inc({ route, error: code });
  }

  render(): string {
    return `${[this.requests, this.duration, this.events, this.errors].map((m) => m.render()).join('\n')}\n`;
  }
}
