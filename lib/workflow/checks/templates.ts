import { actionsWithoutSecrets } from '../../actions/catalog.ts';
import { ExpressionSyntaxError, isBodyPath, type PathRef } from '../path-ref.ts';
import { escapePointer, parseTemplate } from '../template.ts';
import { describe } from './conditions.ts';
import type { NodeReference } from './node-references.ts';
import { isRecord, type ValidationContext } from './validation-context.ts';

/**
 * Templates in every string of a node's `config` and `compensate.config` parse (the message carries
 * the position inside the string), and their `nodes.<id>` paths are collected into `references`:
 * a config may read nodes upstream of its node; a compensation may also read the node itself.
 * `{{ callback.url }}` / `{{ callback.id }}` are allowed only inside a waitForCallback's `notify.config`;
 * `{{ secret:… }}` is refused in the configs of the kinds in `actionsWithoutSecrets` (code).
 */
export function checkTemplates(ctx: ValidationContext, references: NodeReference[]): void {
  const scanner = new TemplateScanner(ctx, references);
  for (const node of ctx.nodes) {
    const waitsForCallback = node.type === 'operation' && node.raw.operation === 'waitForCallback';
    if (node.type === 'operation' && node.raw.operation === 'forEach' && isRecord(node.raw.config)) {
      // The body's own strings belong to the body's scope (checked there); the node reads only `items`.
      const items = node.raw.config.items;
      scanner.scan({ items }, node.pointer, '/config', node.id, node.first, false, false);
    } else {
      scanner.secretsRefusedFor = refusesSecrets(node.raw.action);
      scanner.scan(node.raw.config, node.pointer, '/config', node.id, node.first, false, waitsForCallback);
    }
    const compensate = node.raw.compensate;
    if (isRecord(compensate)) {
      scanner.secretsRefusedFor = refusesSecrets(compensate.action);
      scanner.scan(compensate.config, node.pointer, '/compensate/config', node.id, node.first, true);
    }
    scanner.secretsRefusedFor = undefined;
  }
}

const refusesSecrets = (kind: unknown): string | undefined =>
  typeof kind === 'string' && actionsWithoutSecrets.has(kind) ? kind : undefined;

/** Deeper configs are refused rather than walked (no stack overflow on hostile input). */
const MAX_DEPTH = 128;

/**
 * Walks config values and checks every string holding `{{`. Pointers are built only for those
 * strings (most config strings are plain), from one reused token stack: a 5,000-node definition
 * allocates little here.
 */
class TemplateScanner {
  private readonly tokens: string[] = [];
  private base = '';
  private suffix = '';
  private reader = '';
  private collect = false;
  private selfAllowed = false;
  private callbackScope = false;
  /** The action kind of the config being scanned when that kind may not read secrets. */
  secretsRefusedFor: string | undefined;

  constructor(
    private readonly ctx: ValidationContext,
    private readonly references: NodeReference[],
  ) {}

  scan(
    config: unknown,
    base: string,
    suffix: string,
    reader: string,
    collect: boolean,
    selfAllowed: boolean,
    callbackScope = false,
  ): void {
    if (config === undefined) return;
    this.callbackScope = callbackScope;
    this.base = base;
    this.suffix = suffix;
    this.reader = reader;
    this.collect = collect;
    this.selfAllowed = selfAllowed;
    this.tokens.length = 0;
    this.walk(config);
  }

  private pointer(): string {
    const head = this.base + this.suffix;
    return this.tokens.length === 0 ? head : `${head}/${this.tokens.join('/')}`;
  }

  private walk(value: unknown): void {
    if (typeof value === 'string') {
      if (value.includes('{{')) this.check(value);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (this.tokens.length >= MAX_DEPTH) {
      this.ctx.error(this.pointer(), `config is nested more than ${MAX_DEPTH} levels deep`);
      return;
    }
    if (Array.isArray(value)) {
      // Step Functions builds such an array with States.Array(…), whose arguments are scalars only.
      if (value.some((item) => item !== null && typeof item === 'object') && value.some(readsData)) {
        this.ctx.error(
          this.pointer(),
          'an array that contains templates may hold only strings, numbers, booleans and null (no objects or arrays)',
        );
      }
      for (let i = 0; i < value.length; i++) {
        this.tokens.push(String(i));
        this.walk(value[i]);
        this.tokens.pop();
      }
      return;
    }
    for (const key of Object.keys(value)) {
      this.tokens.push(escapePointer(key));
      if (key.endsWith('.$')) {
        this.ctx.error(
          this.pointer(),
          `the key "${key}" cannot end in ".$" (Step Functions would read it as a path)`,
        );
      }
      this.walk((value as Record<string, unknown>)[key]);
      this.tokens.pop();
    }
  }

  private check(value: string): void {
    let parts: ReturnType<typeof parseTemplate>['parts'];
    try {
      parts = parseTemplate(value).parts;
    } catch (error) {
      const reason = error instanceof ExpressionSyntaxError ? error.message : describe(error);
      this.ctx.error(this.pointer(), `template does not parse: ${reason}`);
      return;
    }
    if (
      parts.some((part) => part.kind === 'callback') &&
      !(this.callbackScope && this.tokens[0] === 'notify' && this.tokens[1] === 'config')
    ) {
      this.ctx.error(
        this.pointer(),
        'callback.url and callback.id can be used only inside the notify config of a waitForCallback node',
      );
    }
    if (this.secretsRefusedFor && parts.some((part) => part.kind === 'secret')) {
      this.ctx.error(
        this.pointer(),
        `the ${this.secretsRefusedFor} action cannot read secrets: pass what it needs through another action`,
      );
    }
    if (!this.ctx.body) {
      const bodyPath = parts.find((part) => part.kind === 'path' && isBodyPath(part.ref));
      if (bodyPath?.kind === 'path') {
        this.ctx.error(
          this.pointer(),
          `template path "${bodyPath.ref.text}": item and index exist only inside a forEach body`,
        );
      }
    }
    if (!this.collect) return;
    let pointer: string | undefined;
    for (const part of parts) {
      if (part.kind !== 'path' || part.ref.nodeId === undefined) continue;
      pointer ??= this.pointer();
      const ref = part.ref as PathRef & { nodeId: string };
      this.references.push({
        ref,
        pointer,
        reader: this.reader,
        selfAllowed: this.selfAllowed,
        where: 'template',
      });
    }
  }
}

/** True when a config value reads run data through a `{{ path }}` template anywhere inside it. */
function readsData(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return false;
    try {
      return parseTemplate(value).parts.some((part) => part.kind === 'path');
    } catch {
      return false;
    }
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return false;
  return Object.values(value).some((child) => readsData(child, depth + 1));
}
