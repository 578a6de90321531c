import { open } from 'node:fs/promises';
import { JsonReadError, readJson } from '../security/json-reader.ts';

/** Files larger than this are refused before they are read or parsed. */
export const MAX_DEFINITION_BYTES = 5 * 1024 * 1024;

/** What `readDefinitionFile` returns: the parsed JSON object, or a message for a person (no stack trace). */
export type ReadDefinitionResult = { ok: true; raw: unknown } | { ok: false; message: string };

/**
 * Reads and parses a definition file for the CLI verbs. Never throws. A missing or unreadable file,
 * a directory, a file over 5 MB (refused before parsing), an empty file, text that is not JSON
 * (with line and column), and JSON whose top level is not an object each give a clear message.
 * A UTF-8 byte-order mark is ignored.
 */
export async function readDefinitionFile(file: string): Promise<ReadDefinitionResult> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) return { ok: false, message: `${file} is a directory, not a definition file` };
      if (stat.size > MAX_DEFINITION_BYTES) {
        return {
          ok: false,
          message: `${file} is ${formatBytes(stat.size)}; a definition file may be at most ${formatBytes(MAX_DEFINITION_BYTES)}`,
        };
      }
      text = await handle.readFile({ encoding: 'utf8' });
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, message: readFailure(file, error) };
  }
  if (text.length > MAX_DEFINITION_BYTES) {
    return { ok: false, message: `${file} is larger than ${formatBytes(MAX_DEFINITION_BYTES)}` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length === 0) return { ok: false, message: `${file} is empty; expected a JSON object` };
  let raw: unknown;
  try {
    raw = readJson(text);
  } catch (error) {
    if (error instanceof JsonReadError) return { ok: false, message: `${file}: ${error.message}` };
    return { ok: false, message: `${file} is not valid JSON: ${jsonFailure(text, error)}` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const what = Array.isArray(raw) ? 'an array' : raw === null ? 'null' : `a ${typeof raw}`;
    return {
      ok: false,
      message: `${file} holds ${what}; a workflow definition is a JSON object ({ "name": …, "nodes": […] })`,
    };
  }
  return { ok: true, raw };
}

function readFailure(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${file}: no such file`;
  if (code === 'EACCES' || code === 'EPERM') return `${file}: permission denied`;
  if (code === 'EISDIR') return `${file} is a directory, not a definition file`;
  return `${file} cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`;
}

/** The parser's reason without V8's position suffix, plus "at line L, column C" when the position is known. */
function jsonFailure(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message)?.[1] ?? firstSyntaxErrorOffset(text)?.toString();
  let reason = message
    .replace(/\s*(?:in JSON )?at position \d+.*$/s, '')
    .replace(/\s*\(line \d+ column \d+\)\s*$/, '')
    .replace(/, [\s\S]* is not valid JSON$/, '');
  if (reason.length > 200) reason = `${reason.slice(0, 200)}…`;
  if (position === undefined) {
    const unexpectedEnd = /Unexpected end of JSON input/.test(message);
    return unexpectedEnd ? `${reason} (the file ends too early)` : reason;
  }
  const { line, column } = lineColumn(text, Number(position));
  return `${reason} at line ${line}, column ${column}`;
}

/**
 * Where a JSON text first goes wrong, for the parse errors V8 reports without a position
 * ("Unexpected token 'x', … is not valid JSON"). A small scanner with an explicit stack (no recursion).
 */
function firstSyntaxErrorOffset(text: string): number | undefined {
  const stack: Array<{ kind: '{' | '['; fresh: boolean }> = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const value = (): boolean => {
    ws();
    const c = text.charAt(i);
    if (c === '{' || c === '[') {
      stack.push({ kind: c, fresh: true });
      i++;
      return true;
    }
    if (c === '"') {
      for (i++; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 0x22) {
          i++;
          return true;
        }
        if (ch < 0x20) return false;
        if (ch === 0x5c) {
          const next = text.charAt(i + 1);
          if (next === 'u') {
            if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
            i += 5;
          } else if ('"\\/bfnrt'.includes(next) && next !== '') i++;
          else return false;
        }
      }
      return false;
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
      text.slice(i, i + 400),
    );
    if (!literal) return false;
    i += literal[0].length;
    return true;
  };
  if (!value()) return i;
  for (let steps = 0; steps < 10_000_000; steps++) {
    ws();
    const top = stack[stack.length - 1];
    if (top === undefined) return i < text.length ? i : undefined;
    const c = text.charAt(i);
    if ((top.kind === '{' && c === '}') || (top.kind === '[' && c === ']')) {
      stack.pop();
      i++;
      continue;
    }
    if (top.fresh) top.fresh = false;
    else {
      if (c !== ',') return i;
      i++;
      ws();
    }
    if (top.kind === '{') {
      if (text.charAt(i) !== '"' || !value()) return i;
      ws();
      if (text.charAt(i) !== ':') return i;
      i++;
    }
    if (!value()) return i;
  }
  return undefined;
}

function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${bytes} bytes`;
}
