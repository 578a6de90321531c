import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { nodeIdAt } from '../definition';

/** A validation error at a JSON pointer, as the API reports it. */
export interface FieldError {
  path: string;
  message: string;
}

/** Where in the text a pointer's value is: 1-based line and the character range. */
export function locate(text: string, pointer: string): { line: number; offset: number; length: number } {
  const tree = parseTree(text);
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  let found = tree ? findNodeAtLocation(tree, segments) : undefined;
  // The deepest existing ancestor when the pointer names something missing.
  for (let cut = segments.length - 1; !found && tree && cut >= 0; cut--) {
    found = findNodeAtLocation(tree, segments.slice(0, cut));
  }
  const offset = found?.parent?.type === 'property' ? found.parent.offset : (found?.offset ?? 0);
  const length = found?.parent?.type === 'property' ? found.parent.length : (found?.length ?? 0);
  return { line: text.slice(0, offset).split('\n').length, offset, length };
}

/** The JSON syntax error of a text, at its line, or undefined when it parses. */
export function syntaxError(text: string): FieldError | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { path: '', message: `not valid JSON: ${message}` };
  }
}

export interface JsonEditorProps {
  value: string;
  onChange: (text: string) => void;
  /**
   * Checks a parsed document (the console asks `POST /flows/validate`); answers the errors at
   * JSON pointers. Called after typing stops.
   */
  validate?: (document: unknown) => Promise<FieldError[]>;
  /** Told the errors of each node id (for the graph) whenever they change. */
  onNodeErrors?: (errors: Record<string, string[]>) => void;
  /** Errors from outside (a refused save), shown as the live ones are. */
  externalErrors?: FieldError[];
  label?: string;
  debounceMs?: number;
}

/**
 * A JSON editor with live validation: a syntax error at once, the API's errors after a pause,
 * each listed with its line and JSON pointer (a click selects the field in the text) and passed
 * on per node so the graph can mark the node.
 */
export function JsonEditor({
  value,
  onChange,
  validate,
  onNodeErrors,
  externalErrors,
  label = 'Definition (JSON)',
  debounceMs = 350,
}: JsonEditorProps) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const [checked, setChecked] = useState<FieldError[]>([]);
  const [checking, setChecking] = useState(false);
  const syntax = useMemo(() => syntaxError(value), [value]);

  useEffect(() => {
    if (syntax || !validate) {
      setChecked([]);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      setChecking(true);
      validate(JSON.parse(value))
        .then((errors) => {
          if (!cancelled) setChecked(errors);
        })
        .catch((error: unknown) => {
          if (!cancelled) setChecked([{ path: '', message: `could not validate: ${String(error)}` }]);
        })
        .finally(() => {
          if (!cancelled) setChecking(false);
        });
    }, debounceMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [value, syntax, validate, debounceMs]);

  const errors = useMemo(
    () => (syntax ? [syntax] : [...checked, ...(externalErrors ?? [])]),
    [syntax, checked, externalErrors],
  );
  const located = useMemo(
    () => errors.map((error) => ({ ...error, ...locate(value, error.path) })),
    [errors, value],
  );

  useEffect(() => {
    if (!onNodeErrors) return;
    let document: unknown;
    try {
      document = JSON.parse(value);
    } catch {
      onNodeErrors({});
      return;
    }
    const byNode: Record<string, string[]> = {};
    for (const error of errors) {
      const nodeId = nodeIdAt(document, error.path);
      if (nodeId) byNode[nodeId] = [...(byNode[nodeId] ?? []), `${error.path}: ${error.message}`];
    }
    onNodeErrors(byNode);
  }, [errors, value, onNodeErrors]);

  const select = (offset: number, length: number) => {
    area.current?.focus();
    area.current?.setSelectionRange(offset, offset + length);
  };
  const lines = value.split('\n').length;
  const errorLines = new Set(located.map((e) => e.line));

  return (
    <div className="ff-editor">
      <label htmlFor={id}>{label}</label>
      <div className="ff-editor-body">
        <pre className="ff-editor-gutter" aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (errorLines.has(i + 1) ? `!${i + 1}` : `${i + 1}`)).join(
            '\n',
          )}
        </pre>
        <textarea
          id={id}
          ref={area}
          name="definition"
          spellCheck={false}
          value={value}
          rows={Math.min(Math.max(lines, 12), 40)}
          aria-invalid={errors.length > 0}
          aria-describedby={`${id}-errors`}
          onChange={(event) => onChange(event.target.value)}
        />
      </div>
      <div id={`${id}-errors`} aria-live="polite">
        {checking ? <p className="muted">checking…</p> : null}
        {located.length === 0 && !checking ? <p className="ok">No errors.</p> : null}
        <ul className="ff-errors">
          {located.map((error) => (
            <li key={`${error.path}|${error.message}`} data-error-path={error.path} data-line={error.line}>
              <button type="button" className="link" onClick={() => select(error.offset, error.length)}>
                line {error.line}
                {error.path ? ` · ${error.path}` : ''}
              </button>
              : {error.message}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
