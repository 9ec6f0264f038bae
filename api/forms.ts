// application/x-www-form-urlencoded bodies (HTML forms, RFC 8058 one-click posts, Twilio webhooks), parsed
// into a null-prototype object: a repeated field becomes an array, which is also the shape twilio's
// validateRequest expects for its signature.
import type { FastifyInstance } from 'fastify';

export type FormBody = Record<string, string | string[]>;

export function parseForm(body: string): FormBody {
  const out: FormBody = Object.create(null) as FormBody;
  for (const [key, value] of new URLSearchParams(body)) {
    const had = out[key];
    if (had === undefined) out[key] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[key] = [had, value];
  }
  return out;
}

/** The first value of a field, or undefined. */
export function field(form: unknown, name: string): string | undefined {
  if (!form || typeof form !== 'object') return undefined;
  const v = (form as FormBody)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Registers the form parser in this plugin's scope (Fastify parses only JSON by itself). */
export function addFormParser(app: FastifyInstance, bodyLimit = 16 * 1024): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    done(null, parseForm(body as string));
  });
}
