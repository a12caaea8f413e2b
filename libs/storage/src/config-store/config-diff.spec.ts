import {
  changedFields,
  formatDiff,
  lineDiff,
  maskSecretLine,
} from '@app/storage/config-store/config-diff';

describe('config diff', () => {
  describe(lineDiff.name, () => {
    it('should keep common lines and mark the rest', () => {
      expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual([
        { op: ' ', text: 'a' },
        { op: '-', text: 'b' },
        { op: '+', text: 'x' },
        { op: ' ', text: 'c' },
      ]);
    });

    it('should report no change for equal texts', () => {
      expect(lineDiff('a\nb', 'a\nb').every((l) => l.op === ' ')).toBe(true);
    });
  });

  describe(formatDiff.name, () => {
    it('should print hunks with context and nothing for equal texts', () => {
      const a = ['1', '2', '3', '4', '5', '6', '7', '8'].join('\n');
      const b = a.replace('2', 'two').replace('8', 'eight');
      expect(formatDiff(lineDiff(a, b), 1)).toEqual([
        '@@',
        ' 1',
        '-2',
        '+two',
        ' 3',
        '@@',
        ' 7',
        '-8',
        '+eight',
      ]);
      expect(formatDiff(lineDiff(a, a))).toEqual([]);
    });
  });

  describe(maskSecretLine.name, () => {
    it('should mask secret keys and list items, and leave other lines alone', () => {
      expect(maskSecretLine('  - api-key: "sk-abcdefghijklmnop"')).toBe('  - api-key: "sk-…mnop"');
      expect(maskSecretLine('  secret-key: plainsecretvalue')).toBe('  secret-key: pla…alue');
      expect(maskSecretLine('  - "sk-client-123456789"')).toBe('  - "sk-…6789"');
      expect(maskSecretLine('debug: true')).toBe('debug: true');
      expect(maskSecretLine('  base-url: "https://api.example.com"')).toBe(
        '  base-url: "https://api.example.com"',
      );
      expect(maskSecretLine('api-keys: []')).toBe('api-keys: []');
    });
  });

  describe(changedFields.name, () => {
    it('should name the fields that differ, never their values', () => {
      expect(
        changedFields(
          '{"type":"claude","access_token":"a","disabled":false}',
          '{"type":"claude","access_token":"b","email":"x"}',
        ),
      ).toEqual(['access_token', 'disabled', 'email']);
      expect(changedFields('{', '{}')).toEqual(['(not valid JSON)']);
    });
  });
});
