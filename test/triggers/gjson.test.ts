import { describe, expect, it } from "vitest";
import { gjsonBool, gjsonGet, gjsonString, parseGjsonPath, parseGoBool } from "../../src/triggers/gjson.js";
import { argoEventData } from "../../src/triggers/event.js";
import { event, payload } from "./helpers.js";

// The document of gjson's README, plus a few keys for escapes and wildcards.
const doc = {
  name: { first: "Tom", last: "Anderson" },
  age: 37,
  children: ["Sara", "Alex", "Jack"],
  "fav.movie": "Deer Hunter",
  friends: [
    { first: "Dale", last: "Murphy", age: 44, nets: ["ig", "fb", "tw"] },
    { first: "Roger", last: "Craig", age: 68, nets: ["fb", "tw"] },
    { first: "Jane", last: "Murphy", age: 47, nets: ["ig", "tw"] },
  ],
  "a*b": 1,
  nothing: null,
};

describe("gjsonGet", () => {
  it.each<[string, unknown]>([
    ["name.last", "Anderson"],
    ["age", 37],
    ["children", ["Sara", "Alex", "Jack"]],
    ["children.#", 3],
    ["children.1", "Alex"],
    ["children.3", undefined],
    ["child*.2", "Jack"],
    ["c?ildren.0", "Sara"],
    ["fav\\.movie", "Deer Hunter"],
    ["fav.movie", undefined],
    ["a\\*b", 1],
    ["friends.#.first", ["Dale", "Roger", "Jane"]],
    ["friends.1.last", "Craig"],
    ["friends.#.nets.#", [3, 2, 2]],
    ['friends.#(last=="Murphy").first', "Dale"],
    ['friends.#(last=="Murphy")#.first', ["Dale", "Jane"]],
    ["friends.#(age>45)#.last", ["Craig", "Murphy"]],
    ["friends.#(age>=68).first", "Roger"],
    ["friends.#(age<45).first", "Dale"],
    ['friends.#(first!="Dale")#.first', ["Roger", "Jane"]],
    ['friends.#(first%"D*").last', "Murphy"],
    ['friends.#(first!%"D*")#.first', ["Roger", "Jane"]],
    ['friends.#(nets.#(=="fb"))#.first', ["Dale", "Roger"]],
    ['friends.#(last=="Nobody").first', undefined],
    ['friends.#(last=="Nobody")#', []],
    ["friends.#(age)#.first", ["Dale", "Roger", "Jane"]],
    ['children.#(=="Alex")', "Alex"],
    ['friends.#(age=="44").first', undefined],
    ["nothing", null],
    ["missing", undefined],
    ["name.first.x", undefined],
    ["age.#", undefined],
    ["name.0", undefined],
  ])("%s", (path, want) => {
    expect(gjsonGet(doc, path)).toEqual(want);
  });

  it("reads the headers and body of a real pull_request event", () => {
    const data = argoEventData(event("pull_request", payload("pull_request", "opened")));
    expect(gjsonGet(data, "headers.X-Github-Event")).toEqual(["pull_request"]);
    expect(gjsonGet(data, "headers.X-Github-Event.0")).toBe("pull_request");
    expect(gjsonGet(data, "body.pull_request.base.ref")).toBe("master");
    expect(gjsonGet(data, "body.pull_request.labels.#")).toBe(0);
  });

  it.each([
    ["", "empty path"],
    ["@reverse", "not supported"],
    ["{a,b}", "not supported"],
    ["a,b", "multipaths"],
    ["a|b", "pipes"],
    ["a..b", "empty key"],
    ['a.#(b=="x"', "unbalanced"],
    ["a.#(b==x)", "bad value"],
  ])("refuses %j", (path, message) => {
    expect(() => parseGjsonPath(path)).toThrow(message);
  });
});

describe("gjson results as Argo reads them", () => {
  it.each<[unknown, string]>([
    ["main", "main"],
    [5, "5"],
    [1.5, "1.5"],
    [true, "true"],
    [null, ""],
    [["pull_request"], '["pull_request"]'],
    [{ a: 1 }, '{"a":1}'],
  ])("String(%j) = %j", (v, want) => {
    expect(gjsonString(v)).toBe(want);
  });

  it.each<[unknown, boolean]>([
    [true, true], [false, false], ["true", true], ["T", true], ["1", true], ["yes", false], [2, true], [0, false], [null, false],
  ])("Bool(%j) = %j", (v, want) => {
    expect(gjsonBool(v)).toBe(want);
  });

  it.each<[string, boolean | undefined]>([
    ["1", true], ["t", true], ["T", true], ["TRUE", true], ["true", true], ["True", true],
    ["0", false], ["f", false], ["F", false], ["FALSE", false], ["false", false], ["False", false],
    ["tRuE", undefined], ["yes", undefined], ["", undefined],
  ])("ParseBool(%j) = %j", (s, want) => {
    expect(parseGoBool(s)).toBe(want);
  });
});
