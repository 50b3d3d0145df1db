/**
 * A pull cursor over one JSON message string: the Kraken hot path reads book and trade messages with it, in place,
 * so that number literals keep their exact text (Kraken v2 sends prices as JSON numbers) and no object tree is built.
 * Every method leaves `i` after what it read; a syntax error sets `ok` to false and the caller drops the message.
 * The token last read by str()/literal() is s[a, b) (a string's content without its quotes).
 */
export class JsonCursor {
  s = "";
  i = 0;
  a = 0;
  b = 0;
  ok = true;

  reset(s: string, i = 0): this {
    this.s = s;
    this.i = i;
    this.ok = true;
    return this;
  }

  /** Char code of the next non-blank character (not consumed); -1 at the end. */
  peek(): number {
    const s = this.s;
    let i = this.i;
    let c = s.charCodeAt(i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++i);
    this.i = i;
    return Number.isNaN(c) ? -1 : c;
  }

  /** Consumes `code` if it is next; false (and nothing consumed) otherwise. */
  eat(code: number): boolean {
    if (this.peek() === code) {
      this.i++;
      return true;
    }
    return false;
  }

  /** Consumes `code` or marks the message bad. */
  expect(code: number): boolean {
    if (this.eat(code)) return true;
    this.ok = false;
    return false;
  }

  /** After an element: true if a ',' follows (consumed), false at `close` (consumed) or on an error. */
  more(close: number): boolean {
    const c = this.peek();
    this.i++;
    if (c === 44) return true;
    if (c !== close) this.ok = false;
    return false;
  }

  /** Reads a string; its content is s[a, b). Escapes are skipped over, not decoded (Kraken names have none). */
  str(): boolean {
    if (this.peek() !== 34) return (this.ok = false);
    const s = this.s;
    let i = this.i + 1;
    this.a = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) i++;
      else if (Number.isNaN(c)) return (this.ok = false);
      i++;
    }
    this.b = i;
    this.i = i + 1;
    return true;
  }

  /** Reads a number, true, false or null literal as text s[a, b). */
  literal(): boolean {
    this.peek();
    const s = this.s;
    let i = this.i;
    this.a = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9 || Number.isNaN(c)) break;
      i++;
    }
    if (i === this.a) return (this.ok = false);
    this.b = i;
    this.i = i;
    return true;
  }

  /** Reads a string or a literal, whichever comes: its text is s[a, b). */
  scalar(): boolean {
    return this.peek() === 34 ? this.str() : this.literal();
  }

  /** Reads an object key and its ':'; the key is s[a, b). */
  key(): boolean {
    return this.str() && this.expect(58);
  }

  /** True if the last token is exactly `text`. */
  is(text: string): boolean {
    return this.equals(this.a, this.b, text);
  }

  /** True if s[a, b) is exactly `text` (a char-code loop: String.prototype.startsWith measured 4x slower here). */
  equals(a: number, b: number, text: string): boolean {
    const len = text.length;
    if (b - a !== len) return false;
    const s = this.s;
    for (let i = 0; i < len; i++) if (s.charCodeAt(a + i) !== text.charCodeAt(i)) return false;
    return true;
  }

  /** The last token as a string (allocates). */
  text(): string {
    return this.s.slice(this.a, this.b);
  }

  /** Skips one value of any kind. */
  skip(): boolean {
    const c = this.peek();
    if (c === 34) return this.str();
    if (c !== 123 && c !== 91) return this.literal();
    let depth = 0;
    const s = this.s;
    let i = this.i;
    for (;;) {
      const d = s.charCodeAt(i++);
      if (d === 34) {
        for (;;) {
          const e = s.charCodeAt(i++);
          if (e === 34) break;
          if (e === 92) i++;
          else if (Number.isNaN(e)) return (this.ok = false);
        }
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        if (--depth === 0) break;
      } else if (Number.isNaN(d)) return (this.ok = false);
    }
    this.i = i;
    return true;
  }
}

const NUMBER_OR_STRING = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * JSON.parse with every number literal kept as its text (a string): for control and metadata messages, where a
 * float would lose a Kraken connectionID (> 2^53) or an instrument increment's exact digits. Not for the hot path.
 */
export function parseJsonKeepNumbers(text: string): unknown {
  return JSON.parse(text.replace(NUMBER_OR_STRING, (m) => (m.charCodeAt(0) === 34 ? m : `"${m}"`)));
}
