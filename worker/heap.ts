// How far the worker's V8 heaps grow past their live size before a full collection. V8 picks the factor
// itself, up to 4× when a program allocates fast, and the engine does: every workflow the cache takes in or
// evicts leaves about 1 MB of module copies behind (docs/benchmarks.md). With 1,000 idle customers that let the
// worker's RSS reach 1.3 GB at rest and 1.6 GB at its peak; a factor of 1.3 kept it at 0.9 GB for about 12 ms of
// worker CPU per message (the collector's threads). The flag is process-wide, so it also reaches the workflow
// thread, which the SDK starts after this runs. It bounds nothing: a heap still grows as far as its live set does.
import { setFlagsFromString } from 'node:v8';

/** WORKER_HEAP_GROWING_PERCENT (default 30: 30% past what the last full collection kept); 0 leaves V8's own
 *  factor. Call before the worker starts its workflow thread. */
export function setHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
