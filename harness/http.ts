// Plain HTTP helpers shared by the tests, the soak and the benchmarks.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface JsonAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by the tests
  body: any;
}

/** POSTs JSON with a write key (Bearer). */
export async function postJson(base: string, path: string, body: unknown, key: string): Promise<JsonAnswer> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
