// Wires the real channel clients into the activities the worker registers.
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { createDeliveryActivities, type ChannelSender } from '../activities/delivery';
import { createEmailActivities } from '../activities/email';
import { createOutbox } from '../activities/outbox';
import { createSlackActivities } from '../activities/slack';
import { createSmsActivities, createTwilioClient } from '../activities/sms';
import { createTemplateRenderer, type TemplateRenderer } from '../activities/templates';
import type { DeliveryActivities } from '../domain/delivery';
import { createWebhookActivities } from '../activities/webhook';
import type { Config } from '../config/config';
import type { Channel } from '../sdk/events';

export const templatesDir = join(__dirname, '..', 'templates');

export function createRenderer(): TemplateRenderer {
  return createTemplateRenderer({ dir: templatesDir });
}

export function createSmtpTransport(smtp: Config['smtp']) {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined,
    // A local inbox has no certificate; a real relay on 587 negotiates STARTTLS.
    ignoreTLS: !smtp.secure && (smtp.host === '127.0.0.1' || smtp.host === 'localhost'),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

/** Every channel that has configuration; a channel left out is refused as "not configured on this worker". */
export function createChannelSenders(config: Config, renderer: TemplateRenderer = createRenderer()): Partial<Record<Channel, ChannelSender>> {
  const { channels, publicUrl } = config;
  const timeoutMs = channels.timeoutMs;
  const email = createEmailActivities({
    transport: createSmtpTransport(config.smtp),
    from: config.smtp.from,
    renderer,
    publicUrl,
    preferencesSecret: channels.preferencesSecret,
  });
  const sms = createSmsActivities({
    client: createTwilioClient({ ...channels.sms, timeoutMs }),
    from: channels.sms.from,
    publicUrl,
    renderer,
  });
  const senders: Partial<Record<Channel, ChannelSender>> = { email: email.sendEmail, sms: sms.sendSms };
  if (channels.webhook) senders.webhook = createWebhookActivities({ ...channels.webhook, renderer, timeoutMs }).sendWebhook;
  if (channels.slack) senders.slack = createSlackActivities({ url: channels.slack.url, renderer, timeoutMs }).sendSlack;
  return senders;
}

export function createWorkerActivities(config: Config, renderer = createRenderer()): DeliveryActivities {
  return createDeliveryActivities(createChannelSenders(config, renderer), { outbox: createOutbox(join(config.dataDir, 'outbox')) });
}
