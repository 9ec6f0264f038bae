// Templates live in templates/<journey>/<name>.<channel>.liquid: a front-matter block (subject,
// preheader) and a Liquid body. Rendering is side-effect free, used by every channel and by preview.
// An email body that starts with <mjml> is MJML: Liquid first, then mjml2html to responsive HTML.
// Shared pieces live in templates/_partials/<name>.liquid: `{% render 'footer', links: links %}`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Liquid } from 'liquidjs';
import mjml2html from 'mjml';
import type { Channel } from '../sdk/events';
import { FailureTypes } from '../domain/delivery';

export interface RenderedMessage {
  subject?: string;
  preheader?: string;
  html?: string;
  text: string;
  /** MJML validation problems: the mail is still rendered (validation level "soft"), but looks wrong somewhere. */
  warnings?: string[];
}

export interface TemplateRenderer {
  render(template: string, channel: Channel, vars: object): Promise<RenderedMessage>;
}

const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)+$/;

/** Marks the TemplateNotFound failure of a template that does not exist (as opposed to a bad id). */
const MISSING = 'template-file-missing';

/** True when `err` says the template has no file for that channel (an optional template may skip it). */
export function isMissingTemplate(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === FailureTypes.TemplateNotFound && Array.isArray(err.details) && err.details[0] === MISSING;
}

function splitFrontMatter(source: string): { meta: Record<string, string>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(source);
  if (!m) return { meta: {}, body: source };
  const meta: Record<string, string> = {};
  for (const line of m[1].split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) meta[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return { meta, body: m[2] };
}

/** A readable plain-text alternative of an HTML body. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/h[1-6]|\/li|\/tr|\/div)\s*\/?>/gi, '\n')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_, href: string, label: string) => `${label.trim()} (${href})`)
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#34;/g, '"')
    .replace(/&amp;/g, '&') // last, so "&amp;lt;" stays "&lt;"

    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The text part of a whole HTML document (MJML output): only the body, without styles, comments (Outlook
 *  conditionals) or the source's indentation, with block ends as line breaks. */
export function documentToText(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  const flat = body
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/\s+/g, ' ')
    // A blank line after paragraphs, headings and lists, as a reader of the HTML sees them.
    .replace(/<\/(p|h[1-6]|ul|ol)>/gi, '$&\n');
  return htmlToText(flat)
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Slack mrkdwn control characters: a value like "<!channel>" must not ping everyone or become a link. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(stringify).join('');
  return String(value);
}

async function renderMjml(source: string, file: string): Promise<{ html: string; warnings: string[] }> {
  const result = await mjml2html(source, { validationLevel: 'soft', keepComments: false, ignoreIncludes: true, filePath: file });
  // Line numbers count in the Liquid output (front matter removed), which is what mjml saw.
  const warnings = result.errors.map((e) => `${file}: line ${e.line} of the rendered body, <${e.tagName}>: ${e.message}`);
  return { html: result.html, warnings };
}

export function createTemplateRenderer({ dir }: { dir: string }): TemplateRenderer {
  // `{% render 'footer' %}` reads templates/_partials/footer.liquid (and nothing outside the templates folder).
  const files = { root: dir, partials: join(dir, '_partials'), extname: '.liquid' };
  // Email bodies are HTML: every {{ value }} is escaped, so a trait like "<a href=…>" stays text.
  const html = new Liquid({ ...files, ownPropertyOnly: true, strictFilters: true, outputEscape: 'escape' });
  const plain = new Liquid({ ...files, ownPropertyOnly: true, strictFilters: true });
  // Slack mrkdwn: the template's own <url|label> links stay, values are escaped.
  const slack = new Liquid({ ...files, ownPropertyOnly: true, strictFilters: true, outputEscape: (v: unknown) => escapeSlack(stringify(v)) });
  return {
    async render(template, channel, vars) {
      if (!TEMPLATE_ID.test(template)) {
        throw ApplicationFailure.nonRetryable(`template id "${template}" is invalid: use "<journey>/<name>" in lower case`, FailureTypes.TemplateNotFound);
      }
      const file = join(dir, `${template}.${channel}.liquid`);
      let source: string;
      try {
        source = await readFile(file, 'utf8');
      } catch {
        throw ApplicationFailure.create({
          message: `template "${template}" has no ${channel} version: create ${file}`,
          type: FailureTypes.TemplateNotFound,
          nonRetryable: true,
          details: [MISSING],
        });
      }
      const { meta, body } = splitFrontMatter(source);
      const engine = channel === 'email' ? html : channel === 'slack' ? slack : plain;
      const out = (await engine.parseAndRender(body, vars)).trim();
      const subject = meta.subject !== undefined ? (await plain.parseAndRender(meta.subject, vars)).trim() : undefined;
      const preheader = meta.preheader !== undefined ? (await plain.parseAndRender(meta.preheader, vars)).trim() : undefined;
      if (channel === 'email') {
        if (/^<mjml[\s>]/i.test(out)) {
          const { html: document, warnings } = await renderMjml(out, file);
          return { subject, preheader, html: document, text: documentToText(document), warnings };
        }
        return { subject, preheader, html: out, text: htmlToText(out) };
      }
      return { subject, text: out };
    },
  };
}
