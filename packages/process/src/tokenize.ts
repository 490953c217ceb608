/**
 * The tokenizer under `module-syntax.ts`: just enough of JavaScript/TypeScript lexing to find
 * statement boundaries — strings, comments, template literals (nested `${}`), regular
 * expression literals (decided by the previous token, the usual rule) and bracket depth.
 */
export type TokenKind = 'id' | 'str' | 'punct' | 'other';
export interface Token {
  kind: TokenKind;
  value: string;
  depth: number;
  /** A line break precedes this token (for ASI-ish statement ends). */
  nl: boolean;
}

const REGEX_AFTER_ID = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const ID_START = /[A-Za-z_$\u0080-\uffff]/;
const ID_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Splits source into tokens, dropping comments and the insides of templates and regexes. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let depth = 0;
  let nl = false;
  // Depth at which each open template `${` resumes its template text.
  const templateStack: number[] = [];
  const n = src.length;
  const push = (kind: TokenKind, value: string) => {
    tokens.push({ kind, value, depth, nl });
    nl = false;
  };
  const readTemplate = () => {
    // i is just after '`' or after the '}' closing a `${`.
    while (i < n) {
      const c = src[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        i += 2;
        templateStack.push(depth);
        depth++;
        return;
      } else i++;
    }
  };
  while (i < n) {
    const c = src[i];
    if (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029') {
      nl = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\ufeff' || c === '\u00a0') {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (src.slice(i, end < 0 ? n : end).includes('\n')) nl = true;
      i = end < 0 ? n : end + 2;
    } else if (c === '#' && i === 0 && src[1] === '!') {
      while (i < n && src[i] !== '\n') i++; // hashbang
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      while (j < n && src[j] !== c) {
        if (src[j] === '\\') {
          value += src[j + 1] ?? '';
          j += 2;
        } else if (src[j] === '\n')
          break; // unterminated: stop at the line end
        else value += src[j++];
      }
      i = j + 1;
      push('str', value);
    } else if (c === '`') {
      i++;
      readTemplate();
      push('other', '`');
    } else if (c === '/') {
      const prev = tokens[tokens.length - 1];
      const regexAllowed =
        !prev ||
        (prev.kind === 'punct' && prev.value !== ')' && prev.value !== ']') ||
        (prev.kind === 'id' && REGEX_AFTER_ID.has(prev.value));
      if (regexAllowed) {
        let j = i + 1;
        let inClass = false;
        while (j < n && src[j] !== '\n') {
          const d = src[j];
          if (d === '\\') j += 2;
          else if (d === '[') {
            inClass = true;
            j++;
          } else if (d === ']') {
            inClass = false;
            j++;
          } else if (d === '/' && !inClass) break;
          else j++;
        }
        j++;
        while (j < n && ID_PART.test(src[j])) j++; // flags
        i = j;
        push('other', 'regex');
      } else {
        i++;
        push('punct', '/');
      }
    } else if (ID_START.test(c)) {
      let j = i + 1;
      while (j < n && ID_PART.test(src[j])) j++;
      push('id', src.slice(i, j));
      i = j;
    } else if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(src[j])) j++;
      push('other', src.slice(i, j));
      i = j;
    } else if (c === '{' || c === '(' || c === '[') {
      push('punct', c);
      depth++;
      i++;
    } else if (c === '}' || c === ')' || c === ']') {
      depth = Math.max(0, depth - 1);
      i++;
      if (c === '}' && templateStack.length > 0 && templateStack[templateStack.length - 1] === depth) {
        templateStack.pop();
        readTemplate();
        continue;
      }
      push('punct', c);
    } else {
      // Punctuators: one character is enough to tell statement boundaries apart.
      push('punct', c);
      i++;
    }
  }
  return tokens;
}
