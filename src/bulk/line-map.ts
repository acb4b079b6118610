/**
 * The input line of each row sent in a chunk, kept as runs of consecutive lines (a million-row
 * chunk of an object source is one run), so error messages can name the line for little memory.
 */
export class LineMap {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly offsets: number[] = [];
  size = 0;

  static of(lines: readonly number[]): LineMap {
    const map = new LineMap();
    for (const line of lines) map.push(line);
    return map;
  }

  push(line: number): void {
    this.pushRun(line, line);
  }

  /** Adds every line of `other`, in order (a run that continues this map's last one joins it). */
  append(other: LineMap): void {
    for (let i = 0; i < other.starts.length; i++) this.pushRun(other.starts[i] ?? 0, other.ends[i] ?? 0);
  }

  /** Adds the lines `start`..`end`: they extend the last run when they continue it, else start one. */
  private pushRun(start: number, end: number): void {
    const last = this.ends.length - 1;
    if (last >= 0 && this.ends[last] === start - 1) this.ends[last] = end;
    else {
      this.starts.push(start);
      this.ends.push(end);
      this.offsets.push(this.size);
    }
    this.size += end - start + 1;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.starts.length; i++) for (let line = this.starts[i] ?? 0; line <= (this.ends[i] ?? -1); line++) yield line;
  }

  get first(): number | undefined {
    return this.starts[0];
  }

  get last(): number | undefined {
    return this.ends.at(-1);
  }

  /** The input line of the chunk's `index`-th row (0-based). */
  lineOf(index: number): number | undefined {
    if (index < 0 || index >= this.size) return undefined;
    let lo = 0;
    let hi = this.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.offsets[mid] ?? 0) <= index) lo = mid;
      else hi = mid - 1;
    }
    return (this.starts[lo] ?? 0) + index - (this.offsets[lo] ?? 0);
  }
}
