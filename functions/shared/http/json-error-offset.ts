/**
 * The character offset of the first JSON syntax error in `text` (V8's messages on Node 20 often
 * lack a position). Only called after `JSON.parse` failed; answers `text.length` for a body that
 * ends too early. Iterative, so deeply nested input cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            return false;
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          return false;
        }
      } else i++;
    }
    return false;
  };
  const number = (): boolean => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '-' || match[0] === '') return false;
    i += match[0].length;
    return true;
  };
  // Stack of open containers: '{' expects key, '[' expects value.
  const stack: Array<'{' | '['> = [];
  const value = (): boolean => {
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') return true; // handled by the loop
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    return false;
  };
  let expectValue = true;
  while (true) {
    if (expectValue) {
      ws();
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        ws();
        if ((c === '{' && text[i] === '}') || (c === '[' && text[i] === ']')) {
          stack.pop();
          i++;
          expectValue = false;
          continue;
        }
        if (c === '{') {
          if (text[i] !== '"' || !string()) return i;
          ws();
          if (text[i] !== ':') return i;
          i++;
        }
        continue;
      }
      if (!value()) return i;
      expectValue = false;
      continue;
    }
    ws();
    const top = stack[stack.length - 1];
    if (top === undefined) return Math.min(i, n);
    const c = text[i];
    if (c === ',') {
      i++;
      if (top === '{') {
        ws();
        if (text[i] !== '"' || !string()) return i;
        ws();
        if (text[i] !== ':') return i;
        i++;
      }
      expectValue = true;
      continue;
    }
    if ((top === '{' && c === '}') || (top === '[' && c === ']')) {
      stack.pop();
      i++;
      continue;
    }
    return i;
  }
}
