import {
  applyModelSuffix,
  budgetToLevel,
  levelToBudget,
  parseModelSuffix,
} from '@app/llm/util/thinking';
import { restoreToolName, shortenToolName } from '@app/llm/util/tool-names';
import { createContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';

describe('thinking levels', () => {
  it('should map levels to the documented budgets', () => {
    expect(levelToBudget('none')).toBe(0);
    expect(levelToBudget('auto')).toBe(-1);
    expect(levelToBudget('minimal')).toBe(512);
    expect(levelToBudget('low')).toBe(1024);
    expect(levelToBudget('medium')).toBe(8192);
    expect(levelToBudget('high')).toBe(24576);
    expect(levelToBudget('xhigh')).toBe(32768);
    expect(levelToBudget('max')).toBe(128000);
  });

  it('should map budgets back by the same thresholds', () => {
    expect(budgetToLevel(0)).toBe('none');
    expect(budgetToLevel(-1)).toBe('auto');
    expect(budgetToLevel(100)).toBe('minimal');
    expect(budgetToLevel(1024)).toBe('low');
    expect(budgetToLevel(5000)).toBe('medium');
    expect(budgetToLevel(24576)).toBe('high');
    expect(budgetToLevel(30000)).toBe('xhigh');
    expect(budgetToLevel(64000)).toBe('max');
  });

  it('should parse model-name suffixes', () => {
    expect(parseModelSuffix('gemini-2.5-pro(high)')).toEqual({
      model: 'gemini-2.5-pro',
      reasoning: { level: 'high', includeThoughts: true },
    });
    expect(parseModelSuffix('claude-x(8192)')).toEqual({
      model: 'claude-x',
      reasoning: { budget: 8192, includeThoughts: true },
    });
    expect(parseModelSuffix('m(none)').reasoning).toEqual({
      level: 'none',
      includeThoughts: false,
    });
    expect(parseModelSuffix('plain-model')).toEqual({ model: 'plain-model' });
    expect(parseModelSuffix('weird(banana)')).toEqual({ model: 'weird(banana)' });
  });

  it('should let the suffix override the body reasoning', () => {
    const ir: IRRequest = {
      model: 'gemini-2.5-pro(high)',
      system: [],
      messages: [],
      sampling: {},
      stream: false,
      sourceFormat: 'openai',
      extra: {},
      reasoning: { budget: 100, summary: 'auto' },
    };
    expect(applyModelSuffix(ir)).toMatchObject({
      model: 'gemini-2.5-pro',
      reasoning: { level: 'high', includeThoughts: true, summary: 'auto' },
    });
    expect(applyModelSuffix(ir).reasoning?.budget).toBeUndefined();
  });
});

describe('tool names', () => {
  it('should shorten names over 64 characters deterministically and restore them', () => {
    const ctx = createContext({ upstreamModel: 'm' });
    const long = `mcp__server__${'x'.repeat(80)}`;
    const short = shortenToolName(long, ctx);
    expect(short.length).toBeLessThanOrEqual(64);
    expect(shortenToolName(long, createContext({ upstreamModel: 'm' }))).toBe(short);
    expect(restoreToolName(short, ctx)).toBe(long);
    expect(shortenToolName('short_name', ctx)).toBe('short_name');
    expect(restoreToolName('other', ctx)).toBe('other');
  });
});
