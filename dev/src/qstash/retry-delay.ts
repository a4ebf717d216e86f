/**
 * `Upstash-Retry-Delay`: a publisher-chosen arithmetic expression giving the wait before the next retry in
 * milliseconds, with `retried` bound to the number of retries made so far (0 before the first retry).
 * QStash documents numbers, `+ - * /`, parentheses, `retried` and the functions below; anything else is
 * refused at publish time. The expression is parsed into a small tree and evaluated by walking it, never
 * handed to `eval` or `Function`.
 */

type Node =
  | { type: "number"; value: number }
  | { type: "retried" }
  | { type: "negate"; operand: Node }
  | { type: "binary"; op: "+" | "-" | "*" | "/"; left: Node; right: Node }
  | { type: "call"; name: FunctionName; args: Node[] };

const FUNCTIONS = {
  pow: { arity: [2, 2], apply: (a: number[]) => a[0]! ** a[1]! },
  sqrt: { arity: [1, 1], apply: (a: number[]) => Math.sqrt(a[0]!) },
  abs: { arity: [1, 1], apply: (a: number[]) => Math.abs(a[0]!) },
  exp: { arity: [1, 1], apply: (a: number[]) => Math.exp(a[0]!) },
  floor: { arity: [1, 1], apply: (a: number[]) => Math.floor(a[0]!) },
  ceil: { arity: [1, 1], apply: (a: number[]) => Math.ceil(a[0]!) },
  round: { arity: [1, 1], apply: (a: number[]) => Math.round(a[0]!) },
  min: { arity: [1, Number.POSITIVE_INFINITY], apply: (a: number[]) => Math.min(...a) },
  max: { arity: [1, Number.POSITIVE_INFINITY], apply: (a: number[]) => Math.max(...a) },
} as const satisfies Record<string, { arity: readonly [number, number]; apply: (args: number[]) => number }>;
type FunctionName = keyof typeof FUNCTIONS;

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

/** Long enough for any sensible formula; bounds the parser's work on hostile input. */
const MAX_EXPRESSION_LENGTH = 1_000;
/** Nesting bound so a crafted `((((…))))` cannot exhaust the stack. */
const MAX_DEPTH = 64;

type Token =
  | { kind: "number"; value: number; at: number }
  | { kind: "ident"; name: string; at: number }
  | { kind: "punct"; char: "+" | "-" | "*" | "/" | "(" | ")" | ","; at: number };

class ExpressionError extends Error {}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (/\s/.test(char)) {
      i += 1;
      continue;
    }
    const number = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ kind: "ident", name: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    if ("+-*/(),".includes(char)) {
      tokens.push({ kind: "punct", char: char as "+" | "-" | "*" | "/" | "(" | ")" | ",", at: i });
      i += 1;
      continue;
    }
    throw new ExpressionError(`unexpected character '${char}' at ${i}`);
  }
  return tokens;
}

/** Recursive descent: expr := term (('+'|'-') term)*, term := unary (('*'|'/') unary)*. */
class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    if (this.tokens.length === 0) throw new ExpressionError("empty expression");
    const node = this.expression(0);
    const rest = this.tokens[this.index];
    if (rest) throw new ExpressionError(`unexpected token at ${rest.at}`);
    return node;
  }

  private peekPunct(): string | undefined {
    const token = this.tokens[this.index];
    return token?.kind === "punct" ? token.char : undefined;
  }

  private expect(char: string): void {
    if (this.peekPunct() !== char) {
      const token = this.tokens[this.index];
      throw new ExpressionError(
        token ? `expected '${char}' at ${token.at}` : `expected '${char}' at the end`,
      );
    }
    this.index += 1;
  }

  private expression(depth: number): Node {
    if (depth > MAX_DEPTH) throw new ExpressionError("expression nested too deeply");
    let left = this.term(depth);
    for (let op = this.peekPunct(); op === "+" || op === "-"; op = this.peekPunct()) {
      this.index += 1;
      left = { type: "binary", op, left, right: this.term(depth) };
    }
    return left;
  }

  private term(depth: number): Node {
    let left = this.unary(depth);
    for (let op = this.peekPunct(); op === "*" || op === "/"; op = this.peekPunct()) {
      this.index += 1;
      left = { type: "binary", op, left, right: this.unary(depth) };
    }
    return left;
  }

  private unary(depth: number): Node {
    const op = this.peekPunct();
    if (op === "-" || op === "+") {
      if (depth > MAX_DEPTH) throw new ExpressionError("expression nested too deeply");
      this.index += 1;
      const operand = this.unary(depth + 1);
      return op === "-" ? { type: "negate", operand } : operand;
    }
    return this.primary(depth);
  }

  private primary(depth: number): Node {
    const token = this.tokens[this.index];
    if (!token) throw new ExpressionError("unexpected end of expression");
    this.index += 1;
    if (token.kind === "number") {
      if (!Number.isFinite(token.value)) throw new ExpressionError(`number out of range at ${token.at}`);
      return { type: "number", value: token.value };
    }
    if (token.kind === "ident") {
      if (token.name === "retried") return { type: "retried" };
      if (!isFunctionName(token.name)) throw new ExpressionError(`unknown name '${token.name}'`);
      const name = token.name;
      this.expect("(");
      const args: Node[] = [];
      if (this.peekPunct() !== ")") {
        args.push(this.expression(depth + 1));
        while (this.peekPunct() === ",") {
          this.index += 1;
          args.push(this.expression(depth + 1));
        }
      }
      this.expect(")");
      const [least, most] = FUNCTIONS[name].arity;
      if (args.length < least || args.length > most) {
        throw new ExpressionError(
          `${name} takes ${least === most ? least : `at least ${least}`} argument(s)`,
        );
      }
      return { type: "call", name, args };
    }
    if (token.char === "(") {
      const inner = this.expression(depth + 1);
      this.expect(")");
      return inner;
    }
    throw new ExpressionError(`unexpected '${token.char}' at ${token.at}`);
  }
}

function evaluate(node: Node, retried: number): number {
  switch (node.type) {
    case "number":
      return node.value;
    case "retried":
      return retried;
    case "negate":
      return -evaluate(node.operand, retried);
    case "binary": {
      const left = evaluate(node.left, retried);
      const right = evaluate(node.right, retried);
      if (node.op === "+") return left + right;
      if (node.op === "-") return left - right;
      if (node.op === "*") return left * right;
      return left / right;
    }
    case "call":
      return FUNCTIONS[node.name].apply(node.args.map((arg) => evaluate(arg, retried)));
  }
}

export interface RetryDelayExpression {
  /** The expression as the publisher wrote it (reported back as `retryDelayExpression`). */
  source: string;
  /** Milliseconds for the given retry count; may be NaN, infinite or negative for odd formulas. */
  evaluate(retried: number): number;
}

export type ParsedRetryDelay = { ok: true; expression: RetryDelayExpression } | { ok: false; error: string };

export function parseRetryDelay(source: string): ParsedRetryDelay {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return { ok: false, error: `Upstash-Retry-Delay is longer than ${MAX_EXPRESSION_LENGTH} characters` };
  }
  try {
    const tree = new Parser(tokenize(source)).parse();
    return { ok: true, expression: { source, evaluate: (retried) => evaluate(tree, retried) } };
  } catch (err) {
    if (err instanceof ExpressionError) {
      return { ok: false, error: `invalid Upstash-Retry-Delay: ${err.message}` };
    }
    throw err;
  }
}

/**
 * The wait before retry number `retried + 1`, in whole milliseconds, capped like every QStash retry delay.
 * A formula that yields no usable number (NaN, ±Infinity) returns undefined so the caller falls back to
 * the default backoff; a negative one means "now".
 */
export function retryDelayMs(
  expression: RetryDelayExpression,
  retried: number,
  capMs: number,
): number | undefined {
  const value = expression.evaluate(retried);
  if (!Number.isFinite(value)) return undefined;
  return Math.min(capMs, Math.max(0, Math.round(value)));
}
