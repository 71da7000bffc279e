/**
 * How `toyscope replay` starts the process that runs it (bin/toyscope.js), and the bench its replay child
 * (bench/processes.ts), for its memory (docs/adr/0035-replay-process-memory.md). All of it is read when a process
 * starts only:
 * - V8's young generation at 4 MiB a semi-space: by default V8 lets the main thread's grow to 16, 32 MiB of new
 *   space, mostly garbage, beside ≈ 15 MiB live.
 * - glibc's malloc with two arenas instead of up to one per thread (the main thread, the face worker, libuv's).
 * - a fixed mmap threshold (128 KiB, glibc's default start): glibc otherwise raises it up to 32 MiB as large
 *   buffers are freed, after which they come from the heap and their pages stay with the process.
 */
export const REPLAY_NODE_FLAGS = ['--max-semi-space-size=4'];
export const REPLAY_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };
