#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx (no build step).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { main } = require('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
