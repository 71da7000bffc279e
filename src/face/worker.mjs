// Entry point of a face-pool worker thread: registers tsx (as bin/toyscope.js does) so the worker can load
// TypeScript under node, tsx and vitest alike, then runs worker.ts. Plain JS so that any runtime can start it.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
