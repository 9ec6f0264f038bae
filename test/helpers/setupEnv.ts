// Jest's setupFiles for the integration project: the environment every test file (and every process it
// starts: worker processes, the CLI, the bench) shares.
import { join } from 'node:path';

// One workflow bundle for the whole run, kept by the hash of its sources (worker/bundle.ts), instead of
// webpack running again in every test file and every restarted worker process.
process.env.WORKFLOW_BUNDLE_CACHE ??= join(__dirname, '..', '..', 'node_modules', '.cache', 'omnijourney', 'workflow-bundle');
