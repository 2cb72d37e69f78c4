/**
 * The one config idiom of evdm (as diffusers' ConfigMixin). A configurable `X` has
 * - `X.resolve(partial)`: fills every default and validates (errors name the field and value);
 *   returns the full config as plain JSON data;
 * - `x.toJSON()`: that full config, so `JSON.stringify(x)` writes it;
 * - `X.fromJSON(json)`: rebuilds from `toJSON()` output (an object or its JSON string), validated.
 * `X.fromJSON(JSON.parse(JSON.stringify(x)))` computes exactly what `x` computes; config-only records
 * (train and run configs) are their own instances (`fromJSON` returns the resolved config).
 */
export interface Configurable<Input, Config, Instance = Config> {
  resolve(input: Input): Config;
  fromJSON(json: unknown): Instance;
}

/** `json` itself, or `JSON.parse(json)` when it is a string (a parse error names the owner). */
export function parseConfigJson(owner: string, json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new Error(`${owner}: fromJSON got a string that is not JSON: ${(e as Error).message}`);
  }
}
