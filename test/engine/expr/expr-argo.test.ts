import { describe, expect, it } from "vitest";
import {
  evaluateExpr,
  expandDottedKeys,
  ExprError,
  exprIdentifiers,
  formatGoValue,
  goJson,
  parseExpr,
} from "../../../src/engine/expr/expr-lang.js";

// examples/expression-reusing-verbose-snippets.yaml
const REUSING_SNIPPETS = `
                map([
                    jsonpath(sprig.b64dec(jsonpath(workflow.parameters.weather, '$.weekWeather')), '$.temps')
                  ], {
                    toJson({
                      avg: sprig.add(#[0], #[1], #[2], #[3], #[4]) / 5,
                      min: sprig.min(#[0], #[1], #[2], #[3], #[4]),
                      max: sprig.max(#[0], #[1], #[2], #[3], #[4])
                    })
                })[0]
              `;

// examples/fibonacci-seq-conditional-param.yaml
const FIBONACCI =
  "asInt(inputs.parameters.num) == 1? 1: asInt(inputs.parameters.num) == 2? 1: steps['fibonacci-helper'].outputs.parameters.result";

// examples/retry-conditional.yaml, after `{{inputs.parameters.safe-to-retry}}` was substituted
const RETRY = (safe: string): string => `asInt(lastRetry.exitCode) > 1 &&
lastRetry.status != "Error" &&
asInt(lastRetry.duration) < 120 &&
(${safe} == true || lastRetry.message matches 'imminent node shutdown|pod deleted')`;

describe("expressions from the Argo examples", () => {
  it("expression-reusing-verbose-snippets", () => {
    const env = expandDottedKeys({
      "workflow.parameters.weather": '{"weekWeather": "eyJ0ZW1wcyI6IFszNCwgMjcsIDE1LCA1NywgNDZdfQo="}',
    });
    const weekTemps = evaluateExpr(REUSING_SNIPPETS, env);
    expect(weekTemps).toBe('{"avg":35.8,"max":57,"min":15}');
    const inner = expandDottedKeys({ "inputs.parameters.week-temps": weekTemps });
    expect(formatGoValue(evaluateExpr("jsonpath(inputs.parameters['week-temps'], '$.avg')", inner))).toBe("35.8");
    expect(formatGoValue(evaluateExpr("jsonpath(inputs.parameters['week-temps'], '$.min')", inner))).toBe("15");
    expect(formatGoValue(evaluateExpr("jsonpath(inputs.parameters['week-temps'], '$.max')", inner))).toBe("57");
  });

  it.each<[string, string, unknown]>([
    ["1", "", 1],
    ["2", "", 1],
    ["5", "5", "5"],
  ])("fibonacci-seq-conditional-param with num=%s", (num, helper, want) => {
    const flat: Record<string, unknown> = { "inputs.parameters.num": num };
    if (helper) flat["steps.fibonacci-helper.outputs.parameters.result"] = helper;
    expect(evaluateExpr(FIBONACCI, expandDottedKeys(flat))).toEqual(want);
  });

  it.each<[Record<string, string>, string, boolean]>([
    [{ exitCode: "2", status: "Failed", duration: "10", message: "" }, "true", true],
    [{ exitCode: "2", status: "Failed", duration: "10", message: "" }, "false", false],
    [{ exitCode: "2", status: "Failed", duration: "10", message: "pod deleted" }, "false", true],
    [{ exitCode: "1", status: "Failed", duration: "10", message: "" }, "true", false],
    [{ exitCode: "2", status: "Error", duration: "10", message: "" }, "true", false],
    [{ exitCode: "2", status: "Failed", duration: "300", message: "" }, "true", false],
  ])("retry-conditional %j safe=%s", (last, safe, want) => {
    const flat = Object.fromEntries(Object.entries(last).map(([k, v]) => [`lastRetry.${k}`, v]));
    expect(evaluateExpr(RETRY(safe), expandDottedKeys(flat))).toBe(want);
  });

  it("data-transformations filter", () => {
    const data = ["logs/a/main.log", "logs/b/other.txt", "logs/c/main.log"];
    expect(evaluateExpr('filter(data, {# endsWith "main.log"})', { data })).toEqual(["logs/a/main.log", "logs/c/main.log"]);
  });

  it("conditionals.yaml expr forms", () => {
    const env = expandDottedKeys({
      "inputs.parameters.should-print": "true",
      "workflow.parameters.json": '[{"value": "true"}, {"value": "false"}]',
    });
    expect(evaluateExpr(`inputs.parameters["should-print"] == 'true'`, env)).toBe(true);
    expect(evaluateExpr("jsonpath(workflow.parameters.json, '$[0].value') == 'true'", env)).toBe(true);
    expect(evaluateExpr("jsonpath(workflow.parameters.json, '$[1].value') == 'true'", env)).toBe(false);
  });

  it.each<[string, string, boolean]>([
    ['steps["step-1"].status == "Running"', "Running", true],
    ['steps["step-1"].status == "Succeeded"', "Running", false],
    ['steps["step-1"].status == "Succeeded"', "Succeeded", true],
    ['workflow.status == "Running"', "Running", true],
  ])("lifecycle hook %s with status %s", (src, status, want) => {
    const env = expandDottedKeys({ "steps.step-1.status": status, "workflow.status": status });
    expect(evaluateExpr(src, env)).toBe(want);
  });

  it("treats the outputs of a skipped step as nil, so ?? supplies a default", () => {
    const env = expandDottedKeys({ "steps.producer.outputs.parameters.msg": null });
    expect(evaluateExpr("steps.producer.outputs.parameters.msg ?? 'fallback'", env)).toBe("fallback");
    expect(evaluateExpr("steps.other?.outputs?.result ?? 'none'", env)).toBe("none");
  });
});

describe("Argo env functions", () => {
  it.each<[string, unknown]>([
    ["asInt('42')", 42],
    ["asInt(4.7)", 4],
    ["asFloat('1.25')", 1.25],
    ["asFloat(3)", 3],
    ["toJson({b: [1, 'x'], a: nil})", '{"a":null,"b":[1,"x"]}'],
    ["toJson('a<b')", '"a\\u003cb"'],
    ["toJson(1.5)", "1.5"],
    ["jsonpath('{\"a\": {\"b\": [10, 20]}}', '$.a.b')", [10, 20]],
    ["jsonpath('{\"a\": {\"b\": [10, 20]}}', '$.a.b[1]')", 20],
    ["jsonpath('{\"a\": {\"b\": [10, 20]}}', '$.a.b[-1]')", 20],
    ["jsonpath('{\"a\": {\"b\": [10, 20]}}', \"$['a']['b'][0]\")", 10],
    ["jsonpath('{\"a\": {\"b\": [10, 20]}}', '$.a.b.length')", 2],
    ["jsonpath('{\"a\": {\"b\": [10, 20]}}', '$.a.b[*]')", [10, 20]],
    ["jsonpath('[{\"n\": 1}, {\"n\": 2}]', '$[*].n')", [1, 2]],
    ["jsonpath('[{\"n\": 1}, {\"n\": 2}]', '$[?(@.n > 1)]')", [{ n: 2 }]],
    ["jsonpath('{\"x\": {\"n\": 1}, \"y\": {\"n\": 2}}', '$..n')", [1, 2]],
    ["jsonpath('[1, 2, 3]', '$[0:2]')", [1, 2]],
    ["jsonpath('\"s\"', '$')", "s"],
  ])("%s", (src, want) => {
    expect(evaluateExpr(src, {})).toEqual(want);
  });

  it.each<[string, RegExp]>([
    ["asInt('1.5')", /invalid operation: int\(1.5\)/],
    ["asInt('x')", /invalid operation: int\(x\)/],
    ["asFloat('x')", /invalid operation: float\(x\)/],
    ["asInt(1, 2)", /invalid number of arguments for asInt/],
    ["jsonpath('{', '$.a')", /invalid JSON/],
    ["jsonpath('{\"a\": 1}', '$.b')", /key 'b' not found/],
    ["jsonpath('[1]', '$[3]')", /out of range/],
    ["jsonpath('{}', 'a')", /must start with \$/],
    ["toJson(1 / 0)", /json: unsupported value: \+Inf/],
  ])("%s fails", (src, message) => {
    expect(() => evaluateExpr(src, {})).toThrow(ExprError);
    expect(() => evaluateExpr(src, {})).toThrow(message);
  });

  it("lets Argo's functions win over variables of the same name, as Argo assigns them last", () => {
    expect(evaluateExpr("asInt('3')", { asInt: "shadow" })).toBe(3);
  });
});

describe("expandDottedKeys", () => {
  it("nests dotted keys", () => {
    expect(
      expandDottedKeys({ "inputs.parameters.msg": "hi", "inputs.parameters.n": "1", "workflow.name": "wf", item: "x" }),
    ).toEqual({ inputs: { parameters: { msg: "hi", n: "1" } }, workflow: { name: "wf" }, item: "x" });
  });

  it("keeps keys with dashes as single segments", () => {
    expect(expandDottedKeys({ "steps.flip-coin.outputs.result": "heads" })).toEqual({
      steps: { "flip-coin": { outputs: { result: "heads" } } },
    });
  });

  it("lets children win over a scalar parent (Argo drops the less specific key)", () => {
    expect(expandDottedKeys({ "inputs.parameters": '[{"name":"x"}]', "inputs.parameters.x": "1" })).toEqual({
      inputs: { parameters: { x: "1" } },
    });
    expect(expandDottedKeys({ item: '{"a":1}', "item.a": "1" })).toEqual({ item: { a: "1" } });
  });

  it("merges an object-valued parent with its dotted children", () => {
    const flat = { "a.b": { x: 1, c: "from-object" }, "a.b.c": "from-key", "a.b.d.e": 2 };
    expect(expandDottedKeys(flat)).toEqual({ a: { b: { x: 1, c: "from-key", d: { e: 2 } } } });
    expect(flat["a.b"]).toEqual({ x: 1, c: "from-object" });
  });

  it("keeps a.x next to a.xy (Argo's prefix test would drop a.x)", () => {
    expect(expandDottedKeys({ "p.x": "1", "p.xy": "2" })).toEqual({ p: { x: "1", xy: "2" } });
  });

  it("does not mutate nested caller objects", () => {
    const nested = { x: { y: 1 } };
    const out = expandDottedKeys({ a: nested, "a.x.z": 2 });
    expect(out).toEqual({ a: { x: { y: 1, z: 2 } } });
    expect(nested).toEqual({ x: { y: 1 } });
  });
});

describe("exprIdentifiers", () => {
  it.each<[string, string[][]]>([
    ["inputs.parameters['week-temps']", [["inputs", "parameters", "week-temps"]]],
    ['steps["flip-coin"].outputs.result', [["steps", "flip-coin", "outputs", "result"]]],
    [FIBONACCI, [["inputs", "parameters", "num"], ["steps", "fibonacci-helper", "outputs", "parameters", "result"]]],
    [REUSING_SNIPPETS, [["workflow", "parameters", "weather"]]],
    ["let x = a.b; x + c", [["a", "b"], ["c"]]],
    ["map(items, # + offset)", [["items"], ["offset"]]],
    ["map(users, .name)", [["users"]]],
    ["arr[0].name", [["arr"]]],
    ["m[key].v", [["m"], ["key"]]],
    ["a?.b?.c ?? d", [["a", "b", "c"], ["d"]]],
    ["$env['x'].y", [["x", "y"]]],
    ["sprig.upper(asInt(x))", [["x"]]],
    ["upper(s) + s", [["s"]]],
    ["'literal' + \"other\"", []],
    ["workflow.status == 'Running' && tasks.a.status", [["workflow", "status"], ["tasks", "a", "status"]]],
  ])("%s", (src, want) => {
    expect(exprIdentifiers(parseExpr(src))).toEqual(want);
  });
});

describe("Go rendering of results", () => {
  it.each<[unknown, string]>([
    [null, "<nil>"],
    ["text", "text"],
    [42, "42"],
    [-7, "-7"],
    [35.8, "35.8"],
    [1234567.5, "1.2345675e+06"],
    [0.00001, "1e-05"],
    [0.0001, "0.0001"],
    [true, "true"],
    [[1, "a", [2]], "[1 a [2]]"],
    [{ b: 1, a: { c: "x" } }, "map[a:map[c:x] b:1]"],
  ])("formatGoValue(%j)", (v, want) => {
    expect(formatGoValue(v)).toBe(want);
  });

  it.each<[unknown, string]>([
    [{ b: 1, a: [true, null] }, '{"a":[true,null],"b":1}'],
    ["<&>", '"\\u003c\\u0026\\u003e"'],
    ["\u2028", '"\\u2028"'],
    [1e21, "1e+21"],
    [1e-7, "1e-7"],
    [[], "[]"],
  ])("goJson(%j)", (v, want) => {
    expect(goJson(v)).toBe(want);
  });
});
