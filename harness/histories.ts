// Saved workflow histories for replay tests: test/histories/<scenario>/<workflow>.json.
// Stored with @temporalio/proto's own toJSON/fromObject so the round trip stays inside one protobuf
// runtime (historyToJSON from @temporalio/common trips over a second copy of protobufjs).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';

export const historiesDir = join(__dirname, '..', 'test', 'histories');

export interface SavedHistory {
  workflowId: string;
  workflowType: string;
  /** For journey workflows: the journey and the version that produced the history. */
  journey?: string;
  version?: number;
  scenario: string;
  recordedAt: string;
  history: temporal.api.history.v1.IHistory;
}

export function historyFileName(workflowId: string): string {
  return `${workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;
}

export function saveHistory(dir: string, saved: SavedHistory): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, historyFileName(saved.workflowId));
  const history = temporal.api.history.v1.History.fromObject(saved.history as object).toJSON();
  writeFileSync(file, `${JSON.stringify({ ...saved, history }, null, 1)}\n`);
  return file;
}

export function loadHistories(dir = historiesDir): Array<SavedHistory & { file: string }> {
  const out: Array<SavedHistory & { file: string }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...loadHistories(path));
    else if (entry.name.endsWith('.json')) {
      const raw = JSON.parse(readFileSync(path, 'utf8')) as SavedHistory;
      out.push({ ...raw, file: path, history: temporal.api.history.v1.History.fromObject(raw.history as object) });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}
