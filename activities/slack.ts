// Slack channel: a message to a Slack incoming webhook (SLACK_WEBHOOK_URL), for the team (a VIP signed up,
// a cart worth a call). The text is `templates/<journey>/<name>.slack.liquid` in Slack mrkdwn; values
// from traits and data are escaped there, so "<!channel>" in a name pings nobody.
import { postJson, redactUrl } from './http';
import { escapeSlack, type TemplateRenderer } from './templates';
import type { DeliverInput, DeliverOutput } from '../domain/delivery';

export interface SlackDeps {
  /** The incoming-webhook URL. It is a secret: errors name only its host. */
  url: string;
  renderer: TemplateRenderer;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Slack's limit for the text of a section block. */
const SECTION_TEXT_MAX = 3000;

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export function slackMessage(input: DeliverInput, mrkdwn: string): SlackMessage {
  const text = mrkdwn.length > SECTION_TEXT_MAX ? `${mrkdwn.slice(0, SECTION_TEXT_MAX - 1)}…` : mrkdwn;
  return {
    // `text` is the notification and screen-reader fallback; the blocks are what the channel shows.
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `Journey *${escapeSlack(input.journey)}* · customer \`${escapeSlack(input.customerId)}\` · ${escapeSlack(input.template)}` },
        ],
      },
    ],
  };
}

export function createSlackActivities({ url, renderer, timeoutMs = 10_000, fetch }: SlackDeps) {
  return {
    async sendSlack(input: DeliverInput): Promise<DeliverOutput> {
      const { text } = await renderer.render(input.template, 'slack', input.vars);
      await postJson({ name: `Slack (${redactUrl(url)})`, url, body: JSON.stringify(slackMessage(input, text)), timeoutMs, fetch });
      return { providerId: `slack:${input.idempotencyKey}` };
    },
  };
}
