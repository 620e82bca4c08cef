// A bounded log of one step's output: keeps the head and the tail, counts what was cut from the middle.

export interface CappedOutputLimits {
  headChars: number;
  tailChars: number;
}

export const defaultOutputLimits: CappedOutputLimits = { headChars: 256 * 1024, tailChars: 1536 * 1024 };

/** Collects lines (already redacted) while holding at most head + tail characters in memory. */
export class CappedOutput {
  readonly #limits: CappedOutputLimits;
  #head = "";
  #headFull = false;
  #tail: string[] = [];
  #tailChars = 0;
  #cutLines = 0;
  #cutChars = 0;
  #totalChars = 0;

  constructor(limits: CappedOutputLimits = defaultOutputLimits) {
    this.#limits = limits;
  }

  /** Adds one line (without its newline). */
  push(line: string): void {
    const text = `${line}\n`;
    this.#totalChars += text.length;
    if (!this.#headFull && this.#head.length + text.length <= this.#limits.headChars) {
      this.#head += text;
      return;
    }
    this.#headFull = true;
    this.#tail.push(text);
    this.#tailChars += text.length;
    while (this.#tailChars > this.#limits.tailChars && this.#tail.length > 1) {
      const dropped = this.#tail.shift()!;
      this.#tailChars -= dropped.length;
      this.#cutLines += 1;
      this.#cutChars += dropped.length;
    }
  }

  get totalChars(): number {
    return this.#totalChars;
  }

  get cutChars(): number {
    return this.#cutChars;
  }

  toString(): string {
    const tail = this.#tail.join("");
    if (this.#cutLines === 0) return (this.#head + tail).replace(/\n$/, "");
    const note = `[… ${this.#cutLines} lines (${this.#cutChars} characters) cut by the runner to bound its memory …]\n`;
    return (this.#head + note + tail).replace(/\n$/, "");
  }
}

const MAX_LINE_CHARS = 64 * 1024;

/** Splits a stream of text chunks into lines, calling `onLine` for each complete one. */
export function createLineSplitter(onLine: (line: string) => void): {
  write(chunk: string): void;
  end(): void;
} {
  let pending = "";
  return {
    write(chunk: string) {
      pending += chunk;
      let index = pending.indexOf("\n");
      while (index !== -1) {
        onLine(pending.slice(0, index).replace(/\r$/, ""));
        pending = pending.slice(index + 1);
        index = pending.indexOf("\n");
      }
      // A line without end (a progress bar, a minified blob) must not grow without bound either.
      if (pending.length > MAX_LINE_CHARS) {
        onLine(pending);
        pending = "";
      }
    },
    end() {
      if (pending.length > 0) onLine(pending.replace(/\r$/, ""));
      pending = "";
    },
  };
}
