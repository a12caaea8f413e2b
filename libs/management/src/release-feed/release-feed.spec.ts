import {
  compareVersions,
  isNewer,
  versionFromFeed,
} from '@app/management/release-feed/release-feed';

describe(versionFromFeed.name, () => {
  it("should read GitHub's latest-release object, tag_name first", () => {
    expect(versionFromFeed({ tag_name: 'v6.9.2', name: 'Release 6.9.2' })).toBe('v6.9.2');
    expect(versionFromFeed({ tag_name: '', name: 'v6.9.1' })).toBe('v6.9.1');
  });

  it('should read a release list (first non-draft) and plain version documents', () => {
    expect(versionFromFeed([{ tag_name: 'v7.0.0', draft: true }, { tag_name: 'v6.9.3' }])).toBe(
      'v6.9.3',
    );
    expect(versionFromFeed({ version: '1.2.3' })).toBe('1.2.3');
    expect(versionFromFeed({ 'latest-version': '1.2.4' })).toBe('1.2.4');
  });

  it('should name nothing for feeds without a version', () => {
    for (const feed of [{}, [], null, 'v1', { tag_name: 3 }, [{ draft: true, tag_name: 'v1' }]]) {
      expect(versionFromFeed(feed)).toBeUndefined();
    }
  });
});

describe(compareVersions.name, () => {
  it.each([
    ['v6.9.2', '6.9.1', 1],
    ['6.10.0', '6.9.9', 1],
    ['1.0', '1.0.0', 0],
    ['v1.2.3', 'V1.2.3', 0],
    ['1.2.3-rc.1', '1.2.3', -1],
    ['1.2.3-rc.10', '1.2.3-rc.2', 1],
    ['0.1.0', 'v6.9.2', -1],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });

  it('should say whether the latest is newer', () => {
    expect(isNewer('v0.2.0', '0.1.0')).toBe(true);
    expect(isNewer('v0.1.0', '0.1.0')).toBe(false);
    expect(isNewer('0.0.9', '0.1.0')).toBe(false);
  });
});
