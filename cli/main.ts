// `npx omnijourney …`: events, profiles, simulate, template preview. Bad arguments exit with code 2.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { sendEvent } from '../client/events';
import { ConfigError, loadConfig } from '../config/config';
import { Channel, CustomerEvent, Properties } from '../sdk/events';
import { preferenceLinks } from '../preferences/links';
import { createRenderer } from '../worker/activities';
import { connectClient } from '../client/connect';
import { customerWorkflowId, stateQuery } from '../domain/messages';
import { journeys } from '../journeys';
import { runSimulation } from '../simulate/run';
import { Scenario } from '../simulate/scenario';
import { formatTable } from '../simulate/timeline';
import { buildReport, factRange, formatReport, journeysWithFacts, windowBound } from '../reporting/report';
import type { ReportWindow } from '../reporting/types';
import { CustomerNotFoundError, eraseCustomer, exportCustomer, listCustomerExecutions } from '../client/customerData';
import { factStoreUrl, openFactStore } from './factStore';
import { projectRoot, ScaffoldError, scaffoldJourney } from './newJourney';
import { DEFAULT_RECONCILE_QUERY, reconcileFacts } from '../worker/reconcileFacts';
import { buildWorkflowBundle } from '../worker/bundle';
import { resolvePayloadKeys } from '../config/payloadKeys';
import { PayloadEncryptionCodec } from '../privacy/codec';
import { redact } from '../store/migrate';
import { openPool } from '../store/pool';

class UsageError extends Error {}

/** Running journey runs per journey and JourneyStep, from Temporal's visibility (at most 100,000 runs). */
async function runningByStep(client: Awaited<ReturnType<typeof connectClient>>): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  let seen = 0;
  for await (const w of client.workflow.list({ query: `WorkflowType = "journeyWorkflow" AND ExecutionStatus = "Running"` })) {
    const name = String(w.searchAttributes?.JourneyName?.[0] ?? '?');
    const step = String(w.searchAttributes?.JourneyStep?.[0] ?? '?');
    const steps = out.get(name) ?? new Map<string, number>();
    steps.set(step, (steps.get(step) ?? 0) + 1);
    out.set(name, steps);
    if (++seen >= 100_000) break;
  }
  await client.connection.close();
  return out;
}
/** Exit code 1 with the message (e.g. an unknown customer). */
class NotFound extends Error {}

function checkedCustomerId(id: string): string {
  const parsed = CustomerEvent.shape.customerId.safeParse(id);
  if (!parsed.success) throw new UsageError(`customer ID: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

function parseJson(what: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = Properties.safeParse(value);
  if (!parsed.success) throw new UsageError(`${what} must be a JSON object, e.g. '{"plan":"pro"}'`);
  return parsed.data;
}

/** The CLI's configuration. In production mode it refuses to run without PREFERENCES_SECRET, PHONE_LOOKUP_SECRET
 *  and PAYLOAD_KEYS (README "Configuration"); `simulate` and `journeys --offline` need none of them. */
const cliConfig = () => loadConfig(process.env, { role: 'cli' });

async function deliver(event: Omit<CustomerEvent, 'messageId'> & { messageId?: string }): Promise<void> {
  const config = cliConfig();
  const client = await connectClient(config, 10_000);
  const full = { ...event, messageId: event.messageId ?? `cli-${Date.now()}-${Math.random().toString(36).slice(2, 10)}` };
  const checked = CustomerEvent.safeParse(full);
  if (!checked.success) throw new UsageError(checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const id = await sendEvent(client, checked.data, { taskQueue: config.temporal.taskQueue, engine: config.engine });
  console.log(`accepted ${event.type} "${event.name}" for ${event.customerId} (workflow ${id}, messageId ${full.messageId})`);
}

/** Why a simulation of `scenario` would show nothing (an unregistered --journey, or no event that a registered
 *  journey starts on), naming the registry; undefined when some journey can start. */
function scenarioStartsNothing(scenario: Scenario, only?: string): string | undefined {
  const registered = journeys.map((j) => j.name).join(', ');
  if (only && !journeys.some((j) => j.name === only))
    return `journey "${only}" is not registered in journeys/index.ts (registered: ${registered}); add it to the array there (omnijourney new <name> scaffolds and registers one)`;
  const candidates = journeys.filter((j) => !only || j.name === only);
  const names = [...new Set(scenario.events.map((e) => (e.type === 'identify' ? 'identify' : e.name)))];
  if (names.some((n) => candidates.some((j) => j.trigger.event === n))) return undefined;
  return (
    `no ${only ? `event of this scenario starts journey "${only}"` : 'journey registered in journeys/index.ts starts on any event of this scenario'} ` +
    `(its events: ${names.join(', ') || 'none'}). Triggers: ${candidates.map((j) => `${j.trigger.event} (${j.name})`).join(', ')}. ` +
    'A journey you wrote runs only once it is in the array in journeys/index.ts.'
  );
}

export function buildProgram(): Command {
  const program = new Command('omnijourney').description('Customer journeys on Temporal').showHelpAfterError();

  program
    .command('event')
    .description('send a track event for a customer')
    .argument('<customerId>')
    .argument('<event>', 'event name, e.g. user.signed_up')
    .option('-p, --properties <json>', 'event properties as a JSON object')
    .option('--message-id <id>', 'idempotency key (a retry with the same id is counted once)')
    .option('--timezone <tz>', "the customer's IANA timezone")
    .action(async (customerId: string, name: string, o: { properties?: string; messageId?: string; timezone?: string }) => {
      await deliver({
        type: 'track',
        customerId,
        name,
        properties: parseJson('--properties', o.properties),
        traits: {},
        messageId: o.messageId,
        context: { timezone: o.timezone },
      });
    });

  program
    .command('identify')
    .description('set traits (email, phone, timezone, firstName, …) on a customer')
    .argument('<customerId>')
    .requiredOption('-t, --traits <json>', 'traits as a JSON object')
    .option('--message-id <id>', 'idempotency key')
    .action(async (customerId: string, o: { traits: string; messageId?: string }) => {
      await deliver({
        type: 'identify',
        customerId,
        name: 'identify',
        properties: {},
        traits: parseJson('--traits', o.traits),
        messageId: o.messageId,
        context: {},
      });
    });

  program
    .command('profile')
    .description("print a customer's profile, consent, journeys and delivery ledger as JSON")
    .argument('<customerId>')
    .action(async (customerId: string) => {
      const client = await connectClient(cliConfig(), 10_000);
      const state = await client.workflow.getHandle(customerWorkflowId(customerId)).query(stateQuery);
      console.log(JSON.stringify(state, null, 2));
    });

  program
    .command('export')
    .description('print everything held about a customer as JSON: profile, consent (with history), events, ledger, journeys, workflows, facts')
    .argument('<customerId>')
    .action(async (customerId: string) => {
      const id = checkedCustomerId(customerId);
      const config = cliConfig();
      const client = await connectClient(config, 10_000);
      const facts = await openFactStore(config);
      try {
        console.log(JSON.stringify(await exportCustomer(client, id, { facts }), null, 2));
      } catch (err) {
        if (err instanceof CustomerNotFoundError) throw new NotFound(err.message);
        throw err;
      } finally {
        await facts?.close();
      }
    });

  program
    .command('erase')
    .description("end all of a customer's workflows and delete them (histories and visibility records) and their facts: their personal data goes")
    .argument('<customerId>')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .addHelpText('after', '\nA later event for the same customer ID starts a fresh, empty customer. Stop sending events for the customer first.')
    .action(async (customerId: string, o: { yes?: boolean }) => {
      const id = checkedCustomerId(customerId);
      if (!o.yes && !process.stdin.isTTY) throw new UsageError(`erase deletes customer "${id}" for good; add --yes to confirm (stdin is not a terminal)`);
      const config = cliConfig();
      const client = await connectClient(config, 10_000);
      // Reached before anything is deleted: an erase that could not reach the facts would leave them.
      const facts = await openFactStore(config);
      if (!o.yes) {
        const found = await listCustomerExecutions(client, id);
        console.log(
          `This terminates and deletes ${found.length} workflow execution(s) of customer "${id}"${facts ? `, and their facts in ${facts.where}` : ''}:`,
        );
        for (const e of found) console.log(`  ${e.workflowId} (${e.status.toLowerCase()}, run ${e.runId})`);
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Type the customer ID to confirm: `);
        rl.close();
        if (answer.trim() !== id) throw new UsageError('not confirmed; nothing was erased');
      }
      const result = await eraseCustomer(client, id, {
        facts,
        onExecution: (e) =>
          console.log(`  ${e.terminated ? 'terminated and deleted' : 'deleted'}  ${e.workflowId} (run ${e.runId}, was ${e.status.toLowerCase()})`),
      }).finally(() => facts?.close());
      console.log(
        `erased customer "${id}": terminated ${result.terminated} running workflow(s), deleted ${result.deleted} execution(s) with their histories and visibility records.` +
          (result.deleted === 0 ? ' (Nothing was found: unknown or already erased.)' : ''),
      );
      console.log(
        facts
          ? `deleted ${result.facts} fact(s) from the store, ${facts.where}.`
          : 'no store of facts configured (DATABASE_URL unset), so no facts were deleted; if a worker records facts, run erase again with its DATABASE_URL.',
      );
      console.log(`A new event for "${id}" starts a fresh, empty customer.`);
    });

  program
    .command('facts')
    .description('the facts journeys record (PostgreSQL, DATABASE_URL)')
    .command('reconcile')
    .description("replay Temporal's histories (within retention) and write the facts the store lacks; idempotent, safe to run any time")
    .option('--query <visibility query>', 'which executions to replay', DEFAULT_RECONCILE_QUERY)
    .action(async (o: { query: string }) => {
      const config = cliConfig();
      const found = factStoreUrl(config);
      if (!found) throw new NotFound('no store of facts: set DATABASE_URL to the PostgreSQL the workers write to');
      const client = await connectClient(config, 10_000);
      const keys = resolvePayloadKeys(config);
      const db = openPool(found.url, 2);
      try {
        console.log(`reconciling facts in ${redact(found.url)} from the histories of: ${o.query}`);
        const workflowBundle = await buildWorkflowBundle();
        const result = await reconcileFacts({
          client,
          db,
          workflowBundle,
          payloadCodecs: keys ? [new PayloadEncryptionCodec(keys.keys)] : undefined,
          query: o.query,
          onProgress: (n) => n % 100 === 0 && console.log(`  ${n} executions replayed`),
        });
        console.log(`${result.workflows} execution(s) replayed: ${result.facts} fact(s), ${result.written} of them missing from the store and written now.`);
        for (const f of result.failed) console.log(`  could not replay ${f.workflowId} (run ${f.runId}): ${f.error}`);
        if (result.failed.length) process.exitCode = 1;
      } finally {
        await db.end();
        await client.connection.close();
      }
    });

  program
    .command('report')
    .description("one journey's outcomes from its facts: entries, funnel, messages, conversions, and each split's arms with a verdict")
    .argument('<journey>')
    .option('--since <when>', 'runs that entered at or after: an ISO date or time (UTC), or an offset back from now: 30d, 12h, 90m, 2w')
    .option('--until <when>', 'runs that entered before: the same forms')
    .option('--json', 'the report as JSON (JourneyReport in reporting/types.ts)')
    .addHelpText(
      'after',
      "\nReads the facts the workers write to DATABASE_URL (or npm start's own PostgreSQL). See docs/outcomes.md for what each number means.",
    )
    .action(async (journey: string, o: { since?: string; until?: string; json?: boolean }) => {
      let window: ReportWindow;
      try {
        window = { ...(o.since ? { since: windowBound(o.since) } : {}), ...(o.until ? { until: windowBound(o.until) } : {}) };
        factRange(window);
      } catch (err) {
        throw new UsageError(`--since/--until: ${(err as Error).message}`);
      }
      // DATABASE_URL, or outside production the PostgreSQL that npm start runs (cli/factStore.ts).
      const found = factStoreUrl(cliConfig());
      if (!found)
        throw new NotFound(
          'no store of facts: set DATABASE_URL to the PostgreSQL your workers write their facts to (postgres://user:password@host:5432/database)',
        );
      const db = openPool(found.url);
      try {
        const known = await journeysWithFacts(db);
        if (!known.includes(journey))
          throw new NotFound(`no facts for journey "${journey}"; ${known.length ? `journeys with facts: ${known.join(', ')}` : 'no journey has facts yet'}`);
        const report = await buildReport(db, journey, window);
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      } catch (err) {
        // undefined_table: nothing has migrated this database yet
        if ((err as { code?: string }).code === '42P01')
          throw new NotFound('the database at DATABASE_URL has no facts table: start a worker with DATABASE_URL set (it migrates the schema)');
        throw err;
      } finally {
        await db.end();
      }
    });

  program
    .command('journeys')
    .description('list the journeys this codebase defines, with how many customers are at each step now')
    .option('--offline', 'only the definitions; do not ask Temporal for the counts')
    .action(async (o: { offline?: boolean }) => {
      let counts: Map<string, Map<string, number>> | undefined;
      let note = '';
      if (!o.offline) {
        try {
          counts = await runningByStep(await connectClient(cliConfig(), 5000));
        } catch (err) {
          if (err instanceof ConfigError) throw err;
          note = `(no counts: ${(err as Error).message.split('\n')[0]}; is the engine running? --offline skips this)`;
        }
      }
      for (const j of journeys) {
        const steps = counts?.get(j.name);
        const total = steps ? [...steps.values()].reduce((a, b) => a + b, 0) : 0;
        console.log(
          `${j.name.padEnd(20)} v${j.version}  trigger ${j.trigger.event}${counts ? `  running ${total}` : ''}${j.description ? `  — ${j.description}` : ''}`,
        );
        for (const [step, n] of [...(steps ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]))
          console.log(`    ${String(n).padStart(6)}  ${step}`);
      }
      if (note) console.log(note);
    });

  program
    .command('preview')
    .description('render a template with sample data, without sending')
    .argument('<template>', 'template id, e.g. welcome/hello')
    .option('-c, --channel <channel>', 'email or sms', 'email')
    .option('-d, --data <json>', 'template variables: {"traits":{…},"data":{…}}')
    .action(async (template: string, o: { channel: string; data?: string }) => {
      const channel = Channel.safeParse(o.channel);
      if (!channel.success) throw new UsageError(`--channel must be one of ${Channel.options.join(', ')}`);
      const config = cliConfig();
      const links = preferenceLinks(config.publicUrl, config.channels.preferencesSecret, 'preview');
      const vars = { customer: { id: 'preview' }, traits: {}, data: {}, links, ...parseJson('--data', o.data) };
      const m = await createRenderer()
        .render(template, channel.data, vars)
        .catch((err: Error) => {
          throw new UsageError(err.message);
        });
      if (m.subject) console.log(`Subject: ${m.subject}`);
      if (m.preheader) console.log(`Preheader: ${m.preheader}`);
      console.log(`\n${m.text}`);
    });

  program
    .command('new')
    .description('scaffold a journey: its file, templates, unit test and scenario, registered in journeys/index.ts')
    .argument('<name>', 'lower-case letters, digits and dashes, e.g. trial-ending')
    .option('--dir <project>', 'the omnijourney project to add it to (default: the one this CLI belongs to)')
    .action((name: string, o: { dir?: string }) => {
      let made: ReturnType<typeof scaffoldJourney>;
      try {
        made = scaffoldJourney(o.dir ?? projectRoot, name);
      } catch (err) {
        if (err instanceof ScaffoldError) throw new UsageError(err.message);
        throw err;
      }
      console.log(`created journey "${made.name}" in ${made.root}:\n${made.created.map((f) => `  ${f}\n`).join('')}changed: ${made.changed.join(', ')}`);
      console.log(`\nnext:\n${made.nextSteps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    });

  program
    .command('simulate')
    .description('run a scenario on the time-skipping server and print what the customer would get, and why')
    .requiredOption('-s, --scenario <file>', 'scenario JSON file')
    .option('-j, --journey <name>', 'only this journey')
    .option('--json', 'one JSON object per line')
    .action(async (o: { scenario: string; journey?: string; json?: boolean }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(o.scenario, 'utf8'));
      } catch (err) {
        throw new UsageError(`cannot read scenario ${o.scenario}: ${(err as Error).message}`);
      }
      const parsed = Scenario.safeParse(raw);
      if (!parsed.success) throw new UsageError(`invalid scenario ${o.scenario}:\n${z.prettifyError(parsed.error)}`);
      const notStarting = scenarioStartsNothing(parsed.data, o.journey);
      if (notStarting) throw new UsageError(notStarting);
      const { ensureTestServer } = await import('../toolchain/tools.mjs');
      const testServerPath = await ensureTestServer();
      // No secrets needed, production mode or not: a throwaway time-skipping server, no encryption, nothing sent.
      const result = await runSimulation(parsed.data, { journey: o.journey, testServerPath, engine: loadConfig(process.env, { role: 'simulate' }).engine });
      // On stderr, so --json's stdout stays one JSON object per line.
      for (const w of result.warnings) console.error(`warning: ${w}`);
      if (o.json) {
        for (const r of result.rows) console.log(JSON.stringify(r));
        console.log(JSON.stringify(result.final));
      } else {
        console.log(formatTable(result.rows, result.final, result.timezone));
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // On every command: commander's settings reach subcommands only when set before they are created.
  for (const c of [program, ...program.commands]) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}
