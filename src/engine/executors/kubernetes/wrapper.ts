/**
 * Outputs of a Pod without anything in the user's image but /bin/sh: the main container's command is
 * wrapped in a small sh script that runs the original argv (as positional parameters, so nothing is
 * re-quoted), then prints each output parameter file after a marker line, with sh builtins only, and
 * exits with the original exit code. The collector splits that section off the container's log.
 *
 * Marker: `__tiphys_param__ <name> <lines> <eol>` (`eol` 1 when the file ends with a newline), then
 * exactly `<lines>` lines of the file; `__tiphys_param__ <name> missing` for a file that is not there.
 * Lines are counted rather than bytes: `${#var}` counts characters in some shells and bytes in others.
 */

export const PARAM_MARKER = "__tiphys_param__";
/** Printed once before the markers, so a user line that merely starts like a marker is left alone. */
export const OUTPUTS_MARKER = "__tiphys_outputs__";

/** A string as one sh word in single quotes. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Kubernetes expands `$(VAR)` and turns `$$` into `$` in command, args and env values: a text that
 * must reach the container unchanged has each `$` doubled.
 */
export function escapeKubeVars(s: string): string {
  return s.replace(/\$/g, "$$$$");
}

export interface WrapInput {
  argv: string[];
  /** Output parameter files to print after the command. */
  files: Array<{ name: string; path: string }>;
  /** A script template: its source comes in `$TIPHYS_SCRIPT` and is written here first. */
  scriptPath?: string;
  /** Where the exit code is written once the command is over (the `wait` container waits for it). */
  doneFile?: string;
}

/** The main container's new command: `/bin/sh -c <script> tiphys <argv...>`. */
export function wrapCommand(input: WrapInput): string[] {
  const parts: string[] = [];
  if (input.scriptPath) parts.push(`printf '%s' "$TIPHYS_SCRIPT" > ${shQuote(input.scriptPath)} || exit 1`);
  // stderr joins stdout: the pod log has both anyway, and on one pipe the output section printed
  // after the command cannot overtake the command's own stderr lines.
  parts.push(`"$@" 2>&1`, "rc=$?");
  if (input.doneFile) parts.push(`printf '%s\\n' "$rc" > ${shQuote(input.doneFile)}`);
  if (input.files.length > 0) {
    parts.push(`printf '%s\\n' ${OUTPUTS_MARKER}`);
    for (const f of input.files) {
      const p = shQuote(f.path);
      const name = shQuote(f.name);
      // First pass counts lines and whether the last one ended with a newline; the second prints them.
      parts.push(
        `if [ -f ${p} ]; then n=0; e=1; while IFS= read -r l || { [ -n "$l" ] && e=0; }; do n=$((n+1)); done < ${p}; ` +
          `printf '%s %s %s %s\\n' ${PARAM_MARKER} ${name} "$n" "$e"; ` +
          `while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < ${p}; ` +
          `else printf '%s %s missing\\n' ${PARAM_MARKER} ${name}; fi`,
      );
    }
  }
  parts.push("exit $rc");
  return ["/bin/sh", "-c", parts.join("\n"), "tiphys", ...input.argv];
}

export interface SplitLog {
  /** The user's lines (the log without the output section). */
  lines: string[];
  /** Output parameter values by name; a missing file has no entry. */
  params: Record<string, string>;
}

/**
 * Splits a main container's log into the user's lines and the output section: the first
 * `__tiphys_outputs__` line from which well-formed markers run to the end of the log (a file's own
 * content may hold marker-like lines, so the search goes forwards); anything else stays a user line.
 */
export function splitLog(text: string, expected: ReadonlyArray<{ name: string }>): SplitLog {
  const all = text.split("\n");
  if (all.length > 0 && all[all.length - 1] === "") all.pop();
  if (expected.length === 0) return { lines: all, params: {} };
  for (let start = 0; start < all.length; start++) {
    if (all[start] !== OUTPUTS_MARKER) continue;
    const params = parseSection(all, start + 1);
    if (params) return { lines: all.slice(0, start), params };
  }
  return { lines: all, params: {} };
}

function parseSection(lines: string[], from: number): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = from;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.startsWith(PARAM_MARKER + " ")) return undefined;
    const rest = line.slice(PARAM_MARKER.length + 1);
    const missing = / missing$/.exec(rest);
    const counted = / (\d+) ([01])$/.exec(rest);
    if (counted) {
      const name = rest.slice(0, counted.index);
      const n = Number(counted[1]);
      if (i + 1 + n > lines.length) return undefined;
      const body = lines.slice(i + 1, i + 1 + n).join("\n");
      params[name] = counted[2] === "1" && n > 0 ? body + "\n" : body;
      i += 1 + n;
    } else if (missing) {
      i++;
    } else return undefined;
  }
  return params;
}
