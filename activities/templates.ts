// Templates live in templates/<journey>/<name>.<channel>.liquid: a front-matter block (subject,
// preheader) and a Liquid body. Rendering is side-effect free, used by every channel and by preview.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Liquid } from 'liquidjs';
import type { Channel } from '../sdk/events';
import { FailureTypes } from './types';

export interface RenderedMessage {
  subject?: string;
  preheader?: string;
  html?: string;
  text: string;
}

export interface TemplateRenderer {
  render(template: string, channel: Channel, vars: object): Promise<RenderedMessage>;
}

const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)+$/;

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
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
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

export function createTemplateRenderer({ dir }: { dir: string }): TemplateRenderer {
  // Email bodies are HTML: every {{ value }} is escaped, so a trait like "<a href=…>" stays text.
  const html = new Liquid({ ownPropertyOnly: true, strictFilters: true, outputEscape: 'escape' });
  const plain = new Liquid({ ownPropertyOnly: true, strictFilters: true });
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
        throw ApplicationFailure.nonRetryable(`template "${template}" has no ${channel} version: create ${file}`, FailureTypes.TemplateNotFound);
      }
      const { meta, body } = splitFrontMatter(source);
      const out = (await (channel === 'email' ? html : plain).parseAndRender(body, vars)).trim();
      const subject = meta.subject !== undefined ? (await plain.parseAndRender(meta.subject, vars)).trim() : undefined;
      const preheader = meta.preheader !== undefined ? (await plain.parseAndRender(meta.preheader, vars)).trim() : undefined;
      if (channel === 'email') return { subject, preheader, html: out, text: htmlToText(out) };
      return { subject, text: out };
    },
  };
}
