// A light check of the Go text/template syntax Flagger queries use: `{{ target }}`,
// `{{ variables.direction }}`. It finds unclosed and empty actions and unknown bare variables, and
// lists the `variables.<key>` a query needs; anything more complex is left to the renderer.

export const TEMPLATE_VARIABLES = ['name', 'namespace', 'target', 'service', 'ingress', 'route', 'interval', 'variables'] as const;
const GO_KEYWORDS = new Set(['else', 'end', 'break', 'continue', 'nil', 'true', 'false', 'if', 'range', 'with', 'define', 'template', 'block']);

export type TemplateProblem =
  | { kind: 'unclosed' }
  | { kind: 'empty' }
  | { kind: 'unknownVariable'; variable: string };

export interface TemplateScan {
  problems: TemplateProblem[];
  /** The keys used as `variables.<key>`, in order of first use. */
  variableKeys: string[];
}

export function scanTemplate(text: string): TemplateScan {
  const problems: TemplateProblem[] = [];
  const keys = new Set<string>();
  let at = 0;
  for (;;) {
    const open = text.indexOf('{{', at);
    if (open < 0) break;
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      problems.push({ kind: 'unclosed' });
      break;
    }
    at = close + 2;
    const action = text.slice(open + 2, close).replace(/^-\s/, '').replace(/\s-$/, '').trim();
    if (action.startsWith('/*')) continue;
    if (action === '') {
      problems.push({ kind: 'empty' });
      continue;
    }
    for (const match of action.matchAll(/(?:^|[^\w.$])variables\.([A-Za-z_][\w-]*)/g)) if (match[1]) keys.add(match[1]);
    if (/^[A-Za-z_]\w*$/.test(action) && !GO_KEYWORDS.has(action) && !(TEMPLATE_VARIABLES as readonly string[]).includes(action)) {
      problems.push({ kind: 'unknownVariable', variable: action });
    }
  }
  return { problems, variableKeys: [...keys] };
}
