// The Prometheus text the API serves, and the cap on client-chosen event names.
import { ApiMetrics, MAX_EVENT_NAME_SERIES } from '../../api/metrics';

test('counters and histograms render in the Prometheus text format', () => {
  const m = new ApiMetrics();
  m.request('/v1/track', 'POST', 200, 0.004);
  m.request('/v1/track', 'POST', 200, 0.3);
  m.request('/v1/track', 'POST', 400, 0.001);
  m.accepted('track', 'Order "Completed"\n');
  m.error('/v1/track', 'invalid_request');
  const text = m.render();
  expect(text).toContain('# TYPE omnijourney_api_requests_total counter');
  expect(text).toContain('omnijourney_api_requests_total{route="/v1/track",method="POST",status="200"} 2');
  expect(text).toContain('omnijourney_api_requests_total{route="/v1/track",method="POST",status="400"} 1');
  expect(text).toContain('omnijourney_api_request_duration_seconds_bucket{route="/v1/track",le="0.005"} 2');
  expect(text).toContain('omnijourney_api_request_duration_seconds_bucket{route="/v1/track",le="+Inf"} 3');
  expect(text).toContain('omnijourney_api_request_duration_seconds_count{route="/v1/track"} 3');
  expect(text).toContain('omnijourney_api_events_accepted_total{type="track",name="Order \\"Completed\\"\\n"} 1');
  expect(text).toContain('omnijourney_api_errors_total{route="/v1/track",error="invalid_request"} 1');
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \S+ .+|[a-z_]+(\{.*\})? [0-9.e+-]+)$/);
});

test('event names beyond the cap count under __other__', () => {
  const m = new ApiMetrics();
  for (let i = 0; i < MAX_EVENT_NAME_SERIES + 10; i++) m.accepted('track', `e${i}`);
  m.accepted('track', 'e0');
  expect(m.events.get({ type: 'track', name: 'e0' })).toBe(2);
  expect(m.events.get({ type: 'track', name: '__other__' })).toBe(10);
});
