/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export class ProgressBar {
  private done = 0;
  private lastDrawMs = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
  ) {
    this.enabled = process.stderr.isTTY === true && total > 0;
  }

  tick(what: string): void {
    this.done++;
    const now = Date.now();
    if (!this.enabled || (now - this.lastDrawMs < 50 && this.done < this.total)) return;
    this.lastDrawMs = now;
    const width = 30;
    const filled = Math.round((width * Math.min(this.done, this.total)) / this.total);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    process.stderr.write(`\r${this.label} ${bar} ${this.done}/${this.total} seeds  ${what.padEnd(12)}`);
  }

  clear(): void {
    if (this.enabled) process.stderr.write("\r\x1b[2K");
  }
}
