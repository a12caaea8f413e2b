import { AppError } from '@app/common';
import { readValue } from '@app/management/management-body';

function rejection(body: unknown, kind: Parameters<typeof readValue>[1]): AppError {
  try {
    readValue(body, kind);
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe(readValue.name, () => {
  it('should return the value of the expected type', () => {
    expect(readValue({ value: true }, 'boolean')).toBe(true);
    expect(readValue({ value: 3 }, 'integer')).toBe(3);
    expect(readValue({ value: 2.5 }, 'number')).toBe(2.5);
    expect(readValue({ value: '' }, 'string')).toBe('');
  });

  it('should answer 400 naming the expected type', () => {
    const e = rejection({ value: 'true' }, 'boolean');
    expect(e).toBeInstanceOf(AppError);
    expect(e.status).toBe(400);
    expect(e.message).toBe(
      'invalid body: expected {"value": <boolean>}, value must be a boolean, got "true"',
    );
    expect(rejection({ value: 1.5 }, 'integer').message).toMatch(
      /value must be an integer, got 1.5$/,
    );
    expect(rejection({}, 'string').message).toMatch(/value must be a string$/);
    expect(rejection([true], 'boolean').status).toBe(400);
    expect(rejection(null, 'number').message).toMatch(/value must be a number/);
  });
});
