// `npm run record-histories`: runs every scenario in journeys/scenarios/ on the time-skipping server and
// saves each workflow's history under test/histories/<scenario>/, for the replay test. Run it when a
// journey's version changes; keep the old version's histories (they prove the new code still replays them).
// `-- --under <folder> [scenario…]` saves under test/histories/<scenario>/<folder>/ instead, beside the old
// files: for a change behind a patch, whose new histories prove the patched path replays too.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { getJourney } from '../journeys';
import { runSimulation } from '../simulate/run';
import { Scenario } from '../simulate/scenario';
import { historiesDir, saveHistory } from '../harness/histories';

async function main(): Promise<void> {
  const { ensureTestServer } = await import('../toolchain/tools.mjs');
  const testServerPath = await ensureTestServer();
  const scenariosDir = join(__dirname, '..', 'journeys', 'scenarios');
  const args = process.argv.slice(2);
  const underAt = args.indexOf('--under');
  const under = underAt >= 0 ? args[underAt + 1] : undefined;
  if (underAt >= 0 && !under) throw new Error('--under needs a folder name: npm run record-histories -- --under <folder> [scenario…]');
  const only = underAt >= 0 ? args.filter((_, i) => i !== underAt && i !== underAt + 1) : args;
  const files = readdirSync(scenariosDir).filter((f) => f.endsWith('.json') && (only.length === 0 || only.includes(basename(f, '.json'))));
  for (const file of files) {
    const name = basename(file, '.json');
    const scenario = Scenario.parse(JSON.parse(readFileSync(join(scenariosDir, file), 'utf8')));
    process.stdout.write(`recording ${name}… `);
    const result = await runSimulation(scenario, { testServerPath, collectHistories: true });
    const saved: string[] = [];
    for (const h of result.histories ?? []) {
      const journeyName = h.workflowId.startsWith('journey:') ? h.workflowId.split(':')[1] : undefined;
      const version = journeyName ? getJourney(journeyName)?.version : undefined;
      const dir = join(historiesDir, name, ...(under ? [under] : []), journeyName ? `${journeyName}-v${version}` : 'customer');
      saved.push(relative(process.cwd(), saveHistory(dir, { ...h, journey: journeyName, version, scenario: name, recordedAt: new Date().toISOString() })));
    }
    console.log(`${saved.length} histories\n  ${saved.join('\n  ')}`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
