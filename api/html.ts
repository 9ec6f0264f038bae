// Plain server-rendered HTML for the pages customers see (preference centre, unsubscribe): one layout,
// escaping, and the security headers. No JavaScript, no external assets; the stylesheet is inline and
// allowed by its hash in the Content-Security-Policy.
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { PreferenceTokenFailure } from '../preferences/token';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// Contrast (WCAG AA, most AAA): body #1f2937 on white 14.7:1, hints #4b5563 7.6:1, links and button
// #1d4ed8 6.7:1 (white on it too). The focus ring is 3 px, amber #b45309, 5:1 against white.
const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #1f2937; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
main { max-width: 38rem; margin: 2rem auto; padding: 1.5rem 2rem 2rem; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .25rem; }
p { margin: .5rem 0; }
fieldset { border: 1px solid #d1d5db; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .35rem; }
.option { display: grid; grid-template-columns: 1.5rem 1fr; column-gap: .6rem; align-items: start; margin-top: .75rem; }
.option input { width: 1.25rem; height: 1.25rem; margin: .15rem 0 0; accent-color: #1d4ed8; }
.option label { font-weight: 500; cursor: pointer; }
.hint { grid-column: 2; color: #4b5563; font-size: .925rem; margin: 0; }
.note { color: #4b5563; font-size: .925rem; }
.status { border-left: 4px solid #15803d; background: #f0fdf4; padding: .75rem 1rem; margin: 1rem 0; }
.status ul { margin: .25rem 0 0; padding-left: 1.25rem; }
.problem { border-left: 4px solid #b91c1c; background: #fef2f2; padding: .75rem 1rem; margin: 1rem 0; }
form button { margin-top: .75rem; }
button { font: inherit; font-weight: 600; color: #fff; background: #1d4ed8; border: 2px solid #1d4ed8; border-radius: 6px; padding: .6rem 1.25rem; cursor: pointer; }
button:hover { background: #1e40af; border-color: #1e40af; }
a { color: #1d4ed8; }
:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
@media (max-width: 40rem) { main { margin: 0; border: 0; border-radius: 0; padding: 1rem; } }
`;

/** The headers of a server-rendered page whose only stylesheet is `css` (allowed by its hash): no scripts, no
 *  framing (clickjacking), forms post only back here, a token in the URL never leaks as a Referer. The
 *  customer pages and the operator dashboard (api/routes/dashboard.ts) both send them. */
export function htmlPageHeaders(css: string): Record<string, string> {
  const styleHash = `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; script-src 'none'; style-src ${styleHash}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

export const PAGE_HEADERS: Record<string, string> = htmlPageHeaders(CSS);

/** A whole page. `body` is trusted HTML: escape every value that goes into it. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(page(title, body));
}

/** Why a link was refused, and what the customer can do about it. */
const TOKEN_PAGES: Record<PreferenceTokenFailure, { status: number; title: string; text: string }> = {
  malformed: {
    status: 400,
    title: 'This link is incomplete',
    text: 'The link you followed is not complete: part of it may have been cut off when it was copied or wrapped in your email program. Open the email again and click the link, or copy the whole link into your browser.',
  },
  'bad-signature': {
    status: 403,
    title: 'This link is not valid',
    text: 'We could not verify this link, so we cannot change any settings with it. Use the link in one of our recent emails; it only works unchanged.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    text: 'For your security, links to your message settings work for 60 days. Open a more recent email from us and use its "Email preferences" or "Unsubscribe" link.',
  },
};

export function sendTokenProblem(reply: FastifyReply, reason: PreferenceTokenFailure): FastifyReply {
  const p = TOKEN_PAGES[reason];
  return sendPage(
    reply,
    p.status,
    p.title,
    `<h1>${escapeHtml(p.title)}</h1>
<p>${escapeHtml(p.text)}</p>
<p class="note">Nothing was changed. To stop text messages, you can also reply STOP to any of our texts.</p>`,
  );
}

/** Paths of the pages customers open from their mails (api/routes/preferences.ts, unsubscribe.ts). */
export const isCustomerPagePath = (url: string): boolean => /^\/(preferences|unsubscribe)(\/|\?|$)/.test(url);

/** Requests the customer pages cannot take before they reach a route (Fastify's router or Node's HTTP parser
 *  refuses them): the same page and headers as every other error there. */
const REQUEST_PAGES: Record<number, { title: string; text: string }> = {
  400: {
    title: 'This link is not valid',
    text: 'The link you followed is damaged: part of it is not a valid web address. Open the email again and click the link, or copy the whole link into your browser.',
  },
  404: {
    title: 'This page does not exist',
    text: 'There is no page at this address. Use the "Email preferences" or "Unsubscribe" link in one of our recent emails.',
  },
  405: { title: 'This request was not understood', text: 'Open the link from your email again and use the page it shows.' },
  414: {
    title: 'This link is too long',
    text: 'The link you followed is much longer than any link we send, so it was not opened. Use the link in one of our recent emails, unchanged.',
  },
  431: {
    title: 'This request is too large',
    text: 'Your browser sent more than we accept with this request (often very large cookies). Open the link from your email in a private window or another browser.',
  },
};

/** The page for a refused request (status 400, 404, 405, 414 or 431; others get the 400 page's text). */
export function requestProblemPage(status: number): string {
  const p = REQUEST_PAGES[status] ?? REQUEST_PAGES[400];
  return page(
    p.title,
    `<h1>${escapeHtml(p.title)}</h1>
<p>${escapeHtml(p.text)}</p>
<p class="note">Nothing was changed. To stop text messages, you can also reply STOP to any of our texts.</p>`,
  );
}

export function sendRequestProblem(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(requestProblemPage(status));
}

/** A problem that is not the customer's fault (Temporal unreachable, a bug): nothing was changed, try later. */
export function sendServiceProblem(reply: FastifyReply, status: number, detail: string): FastifyReply {
  if (status === 503) reply.header('retry-after', '30');
  const title = status === 404 ? 'We could not find your settings' : 'Something went wrong';
  return sendPage(reply, status, title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(detail)}</p>`);
}
