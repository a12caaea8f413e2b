import { spawnSync } from 'node:child_process';
import { applyGcTuning, gcTuningFlags, NO_PRETENURING } from '@app/gateway/runtime/gc-tuning';

describe('gcTuningFlags', () => {
  it('should turn allocation-site pretenuring off by default', () => {
    expect(gcTuningFlags([])).toEqual([NO_PRETENURING]);
    expect(gcTuningFlags(['--enable-source-maps', '--max-old-space-size=1536'])).toEqual([
      NO_PRETENURING,
    ]);
  });

  it("should leave the operator's own choice on the command line alone", () => {
    expect(gcTuningFlags(['--allocation-site-pretenuring'])).toEqual([]);
    expect(gcTuningFlags(['--no-allocation-site-pretenuring'])).toEqual([]);
    expect(gcTuningFlags(['--allocation_site_pretenuring'])).toEqual([]);
  });

  it('should have only the command line to look at: Node refuses the flag in NODE_OPTIONS', () => {
    const r = spawnSync(process.execPath, ['-e', '0'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--allocation-site-pretenuring' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('not allowed in NODE_OPTIONS');
  });

  it('should be a flag this V8 accepts (an unknown one would print a warning and do nothing)', () => {
    // A child process: setting the flag in the test runner would change its own GC.
    const r = spawnSync(
      process.execPath,
      ['-e', `require('node:v8').setFlagsFromString(${JSON.stringify(NO_PRETENURING)})`],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const bad = spawnSync(
      process.execPath,
      ['-e', `require('node:v8').setFlagsFromString('--no-such-flag-for-the-test')`],
      { encoding: 'utf8' },
    );
    expect(bad.stderr).not.toBe('');
  });

  it('should apply nothing when the operator chose', () => {
    expect(applyGcTuning(['--allocation-site-pretenuring'])).toEqual([]);
  });
});
