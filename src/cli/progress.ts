/**
 * A one-line progress bar on stderr for long work (replaying a large capture), redrawn at most every 100 ms,
 * and only when stderr is a terminal: CI logs get no control characters.
 */

const REDRAW_MS = 100;
const BAR_WIDTH = 24;

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #last = 0;
  #drawn = false;
  #start = Date.now();

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = Boolean(stream.isTTY)) {
    this.#stream = stream;
    this.#enabled = enabled;
  }

  /** Restart the rate clock (a new file). */
  reset(): void {
    this.#start = Date.now();
  }

  /** `total` undefined: the size is not known (standard input); bytes and rate only. */
  update(label: string, done: number, total: number | undefined): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#last < REDRAW_MS && (total === undefined || done < total)) return;
    this.#last = now;
    const secs = Math.max(0.001, (now - this.#start) / 1000);
    const rate = `${(done / (1024 * 1024) / secs).toFixed(0)} MiB/s`;
    let line = `${label}  ${mib(done)} MiB  ${rate}`;
    if (total !== undefined) {
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(frac * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%`;
      line = `${label} ${bar}  ${mib(done)}/${mib(total)} MiB  ${rate}`;
    }
    this.#stream.write(`\r${line.slice(0, (this.#stream.columns || 100) - 1)}\u001b[K`);
    this.#drawn = true;
  }

  /** Erase the bar so the summary starts on a clean line. */
  done(): void {
    if (this.#drawn) this.#stream.write('\r\u001b[K');
    this.#drawn = false;
  }
}

function mib(n: number): string {
  return (n / (1024 * 1024)).toFixed(1);
}
