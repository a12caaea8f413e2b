import { groupModels } from '@app/management/control/model-groups';

describe(groupModels.name, () => {
  it('should group by owned_by keeping the listing order and count everything', () => {
    const models = [
      { id: 'a', owned_by: 'anthropic' },
      { id: 'b', owned_by: 'google' },
      { id: 'c', owned_by: 'anthropic' },
      { id: 'd', owned_by: '' },
    ];
    expect(groupModels(models)).toEqual({
      models,
      byCategory: {
        anthropic: [models[0], models[2]],
        google: [models[1]],
        unknown: [models[3]],
      },
      totalCount: 4,
    });
  });
});
