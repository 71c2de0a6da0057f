import { parseDepends, dependsTaskNames } from "../expr/depends.js";
import { exprIdentifiers, parseExpr } from "../expr/expr-lang.js";
import { parseWhen } from "../expr/govaluate.js";
import type { PathSeg } from "../model/load.js";
import type { DocReport } from "./report.js";
import { resolveChain, resolveTag, type VarScope } from "./scope.js";
import { blankTags, findTags, forEachString } from "./tags.js";

/** What a substituted tag stands for while a `when` is parsed (a bare word: govaluate reads it as a string). */
const WHEN_PLACEHOLDER = "tiphys";

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a `{{...}}` inside an expression field stands for while it is parsed (substitution comes first). */
const EXPR_PLACEHOLDER = "nil";

/**
 * Parses an expr-lang expression; with a scope, also checks the variables it names. Tags inside
 * the field (`{{inputs.parameters.x}} == true`) are substituted before Argo evaluates it, so they
 * are blanked out here (and checked as tags with the rest of the template).
 */
export function checkExpression(
  report: DocReport,
  path: PathSeg[],
  source: string,
  scope: VarScope | undefined,
  what = "expression",
  { insideTag = false }: { insideTag?: boolean } = {},
): void {
  let ast: ReturnType<typeof parseExpr>;
  try {
    ast = parseExpr(insideTag ? source : blankTags(source, EXPR_PLACEHOLDER));
  } catch (err) {
    report.error(path, `invalid ${what} ${JSON.stringify(source.trim())}: ${messageOf(err)}`);
    return;
  }
  if (!scope) return;
  let chains: string[][];
  try {
    chains = exprIdentifiers(ast);
  } catch {
    return;
  }
  for (const chain of chains) {
    const err = resolveChain(scope, chain);
    if (err) report.error(path, err);
  }
}

/** Checks every `{{...}}` of the strings under `value` against `scope`. */
export function checkTags(
  report: DocReport,
  value: unknown,
  path: PathSeg[],
  scope: VarScope,
  skip?: (path: PathSeg[]) => boolean,
): void {
  forEachString(
    value,
    path,
    (text, at) => {
      for (const tag of findTags(text)) {
        if (tag.expression !== undefined) {
          checkExpression(report, at, tag.expression, scope, "expression in {{=...}}", { insideTag: true });
          continue;
        }
        const err = resolveTag(scope, tag.inner);
        if (err) report.error(at, err);
      }
    },
    skip,
  );
}

/** A step or task `when`: govaluate, parsed with its tags blanked out (they are substituted first). */
export function checkWhen(report: DocReport, path: PathSeg[], text: string): void {
  const blanked = blankTags(text, WHEN_PLACEHOLDER);
  try {
    parseWhen(blanked);
  } catch (err) {
    report.error(path, messageOf(err)); // names the expression already
  }
}

/** The task names a `depends` expression names, or undefined (and an error) if it does not parse. */
export function dependsNames(report: DocReport, path: PathSeg[], text: string): string[] | undefined {
  try {
    return dependsTaskNames(parseDepends(text));
  } catch (err) {
    report.error(path, `invalid depends: ${messageOf(err)}`);
    return undefined;
  }
}
