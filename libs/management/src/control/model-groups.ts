/** The fields the control API needs of a listed model. */
export interface GroupableModel {
  readonly id: string;
  readonly owned_by: string;
}

/** `GET /api/cliproxy/models`: every model, the same grouped by `owned_by`, and the count. */
export interface ModelGroups<M extends GroupableModel> {
  models: M[];
  byCategory: Record<string, M[]>;
  totalCount: number;
}

/** Group a model listing by `owned_by` (each group keeps the listing's order). */
export function groupModels<M extends GroupableModel>(models: readonly M[]): ModelGroups<M> {
  const byCategory: Record<string, M[]> = {};
  for (const m of models) (byCategory[m.owned_by || 'unknown'] ??= []).push(m);
  return { models: [...models], byCategory, totalCount: models.length };
}
