/**
 * The shape language of the field catalogue. A shape is data, read by `field-check.ts`:
 * - a scalar name: `string` (strict), `anyString` (string, number or bool, as Argo's AnyString),
 *   `int`, `number`, `bool`, `intOrString`, `any`, `object` (opaque map), `list` (opaque list),
 *   `stringMap` (map of anyString);
 * - `@Name`: a named shape of the registry (lets shapes recurse, and names the type in messages);
 * - `[shape]`: a list of that shape;
 * - an object: a struct whose keys are its fields. The key `*` makes it a map whose values all have
 *   that shape. A key starting with `!` records a field that no longer exists, with the hint to show.
 */
export type ScalarShape =
  "string" | "anyString" | "int" | "number" | "bool" | "intOrString" | "any" | "object" | "list" | "stringMap";

export type RefShape = `@${string}`;

export type Shape = ScalarShape | RefShape | readonly [Shape] | StructShape;

export interface StructShape {
  readonly [field: string]: Shape | string;
}

export type ShapeRegistry = Readonly<Record<string, Shape>>;

export const SCALAR_SHAPES: ReadonlySet<string> = new Set<ScalarShape>([
  "string",
  "anyString",
  "int",
  "number",
  "bool",
  "intOrString",
  "any",
  "object",
  "list",
  "stringMap",
]);
