import {
  cleanGeminiParameters,
  cleanGeminiSchema,
  geminiSchemaToJsonSchema,
} from '@app/llm/util/gemini-schema';

describe(cleanGeminiSchema.name, () => {
  it('should inline $ref from $defs and definitions, letting sibling keywords win', () => {
    const sut = cleanGeminiSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        home: { $ref: '#/$defs/Address', description: 'Where they live' },
        work: { $ref: '#/definitions/Address' },
      },
      $defs: {
        Address: {
          type: 'object',
          description: 'A postal address',
          properties: { street: { type: 'string' }, zip: { type: 'string' } },
          required: ['street'],
        },
      },
      definitions: {
        Address: {
          type: 'object',
          properties: { line: { type: 'string' } },
        },
      },
    });

    expect(sut).toEqual({
      type: 'object',
      properties: {
        home: {
          type: 'object',
          description: 'Where they live',
          properties: { street: { type: 'string' }, zip: { type: 'string' } },
          required: ['street'],
        },
        // $defs is read after definitions, so the 2020-12 spelling wins a name clash.
        work: {
          type: 'object',
          description: 'A postal address',
          properties: { street: { type: 'string' }, zip: { type: 'string' } },
          required: ['street'],
        },
      },
    });
    expect(JSON.stringify(sut)).not.toContain('$ref');
    expect(JSON.stringify(sut)).not.toContain('$defs');
  });

  it('should cut a recursive $ref instead of inlining forever', () => {
    const sut = cleanGeminiSchema({
      $ref: '#/$defs/Node',
      $defs: {
        Node: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            children: { type: 'array', items: { $ref: '#/$defs/Node' } },
          },
        },
      },
    });

    const children = (sut.properties as Record<string, Record<string, unknown>>).children;
    expect(sut.type).toBe('object');
    expect(children.type).toBe('array');
    expect(children.items).toEqual({
      type: 'object',
      description: '(recursive Node, structure omitted)',
    });
  });

  it('should replace an unresolvable $ref with a described object', () => {
    const sut = cleanGeminiSchema({
      type: 'object',
      properties: { x: { $ref: 'https://example.com/schemas/x.json' } },
    });

    expect((sut.properties as Record<string, unknown>).x).toEqual({
      type: 'object',
      description: '(unresolved reference https://example.com/schemas/x.json)',
    });
  });

  it('should turn const into a one-value enum', () => {
    expect(cleanGeminiSchema({ const: 'fixed' })).toEqual({ type: 'string', enum: ['fixed'] });
    expect(cleanGeminiSchema({ type: 'string', const: 'a' })).toEqual({
      type: 'string',
      enum: ['a'],
    });
  });

  it('should move non-string enums into the description (Gemini enums hold strings only)', () => {
    expect(cleanGeminiSchema({ type: 'integer', enum: [1, 2, 3], description: 'Level' })).toEqual({
      type: 'integer',
      description: 'Level (allowed values: 1, 2, 3)',
    });
  });

  it('should flatten ["string","null"] into a nullable string', () => {
    expect(cleanGeminiSchema({ type: ['string', 'null'], maxLength: 10 })).toEqual({
      type: 'string',
      nullable: true,
      maxLength: 10,
    });
  });

  it('should split a multi-type array into anyOf branches carrying their own keywords', () => {
    const sut = cleanGeminiSchema({
      type: ['string', 'array', 'null'],
      minLength: 1,
      items: { type: 'string' },
      minItems: 2,
    });

    expect(sut).toEqual({
      nullable: true,
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string' }, minItems: 2 },
      ],
    });
  });

  it('should simplify anyOf with a null branch into the remaining schema', () => {
    const sut = cleanGeminiSchema({
      description: 'Optional count',
      anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }],
    });

    expect(sut).toEqual({
      type: 'integer',
      minimum: 0,
      nullable: true,
      description: 'Optional count',
    });
  });

  it('should collapse oneOf string constants into one enum and keep other unions as anyOf', () => {
    expect(cleanGeminiSchema({ oneOf: [{ const: 'a' }, { const: 'b' }, { enum: ['c'] }] })).toEqual(
      { type: 'string', enum: ['a', 'b', 'c'] },
    );
    expect(cleanGeminiSchema({ oneOf: [{ type: 'string' }, { type: 'number' }] })).toEqual({
      anyOf: [{ type: 'string' }, { type: 'number' }],
    });
  });

  it('should merge allOf branches, expanding $ref branches first', () => {
    const sut = cleanGeminiSchema({
      $defs: {
        Base: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
      allOf: [
        { $ref: '#/$defs/Base' },
        { properties: { name: { type: 'string' } }, required: ['name'] },
      ],
    });

    expect(sut).toEqual({
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string' } },
      required: ['id', 'name'],
    });
  });

  it('should remove keywords Gemini rejects and note the constraints in the description', () => {
    const sut = cleanGeminiSchema({
      $id: 'urn:x',
      $comment: 'internal',
      type: 'object',
      additionalProperties: false,
      properties: {
        age: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.5, description: 'Age' },
        email: { type: 'string', format: 'email' },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, examples: [['a']] },
        meta: {
          type: 'object',
          patternProperties: { '^x-': { type: 'string' } },
          additionalProperties: { type: 'string' },
        },
      },
    });

    expect(sut).toEqual({
      type: 'object',
      properties: {
        age: { type: 'number', description: 'Age (exclusiveMinimum: 0; multipleOf: 0.5)' },
        email: { type: 'string', description: 'format: email' },
        when: { type: 'string', format: 'date-time' },
        tags: {
          type: 'array',
          items: { type: 'string' },
          example: ['a'],
          description: 'uniqueItems: true',
        },
        meta: {
          type: 'object',
          description:
            'patternProperties: {"^x-":{"type":"string"}}; additionalProperties: {"type":"string"}',
        },
      },
    });
  });

  it('should drop empty properties and required names that do not exist', () => {
    expect(
      cleanGeminiSchema({
        type: 'object',
        properties: { a: { type: 'object', properties: {}, required: ['z'] } },
        required: ['a', 'ghost'],
      }),
    ).toEqual({ type: 'object', properties: { a: { type: 'object' } }, required: ['a'] });
  });

  it('should never mutate its input', () => {
    const input = {
      type: ['string', 'null'],
      const: 'x',
      $defs: { A: { type: 'string' } },
      properties: { p: { $ref: '#/$defs/A' } },
    };
    const copy = structuredClone(input);
    cleanGeminiSchema(input);
    expect(input).toEqual(copy);
  });
});

describe(cleanGeminiParameters.name, () => {
  it('should return undefined for tools without arguments', () => {
    expect(cleanGeminiParameters({ type: 'object', properties: {} })).toBeUndefined();
    expect(cleanGeminiParameters({})).toBeUndefined();
    expect(cleanGeminiParameters(undefined)).toBeUndefined();
  });

  it('should keep an object schema and add the missing object type', () => {
    expect(cleanGeminiParameters({ properties: { q: { type: 'string' } } })).toEqual({
      type: 'object',
      properties: { q: { type: 'string' } },
    });
  });
});

describe(geminiSchemaToJsonSchema.name, () => {
  it('should lower-case types, turn nullable into a type array and counts into numbers', () => {
    expect(
      geminiSchemaToJsonSchema({
        type: 'OBJECT',
        properties: {
          name: { type: 'STRING', nullable: true },
          tags: {
            type: 'ARRAY',
            items: { type: 'STRING', format: 'enum', enum: ['a'] },
            minItems: '1',
          },
        },
        required: ['name'],
        propertyOrdering: ['name', 'tags'],
      }),
    ).toEqual({
      type: 'object',
      properties: {
        name: { type: ['string', 'null'] },
        tags: { type: 'array', items: { type: 'string', enum: ['a'] }, minItems: 1 },
      },
      required: ['name'],
    });
  });
});
