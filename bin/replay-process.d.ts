/** Types of ./replay-process.js. */
export declare const REPLAY_NODE_FLAGS: readonly string[];
export declare const REPLAY_ENV: Readonly<Record<string, string>>;
