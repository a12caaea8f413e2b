import { managementError } from '@app/common';

/** The JSON types a `{"value": …}` body can be asked for. */
export type ValueKind = 'boolean' | 'integer' | 'number' | 'string';

type ValueOf<K extends ValueKind> = K extends 'boolean'
  ? boolean
  : K extends 'string'
    ? string
    : number;

const ARTICLE: Record<ValueKind, string> = {
  boolean: 'a boolean',
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
};

function matches(kind: ValueKind, v: unknown): boolean {
  switch (kind) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
  }
}

/**
 * The `value` of a scalar route's body (`{"value": true}`); a 400 naming the expected type when
 * the body is not that shape.
 */
export function readValue<K extends ValueKind>(body: unknown, kind: K): ValueOf<K> {
  const v =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>).value
      : undefined;
  if (!matches(kind, v)) {
    throw managementError(
      400,
      `invalid body: expected {"value": <${kind}>}, value must be ${ARTICLE[kind]}${v === undefined ? '' : `, got ${JSON.stringify(v)}`}`,
    );
  }
  return v as ValueOf<K>;
}
