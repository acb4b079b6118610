import data from './groups.json' with { type: 'json' };

/** A part of `npm run mutate`: the modules StrykerJS mutates and the (database-free) test files run against them. */
export interface MutationGroup {
  readonly name: string;
  /** What the modules do, in a few words. */
  readonly what: string;
  /** Paths from the repository root. */
  readonly mutate: readonly string[];
  readonly tests: readonly string[];
}

export const GROUPS: readonly MutationGroup[] = data.groups;

export function groupNamed(name: string): MutationGroup {
  const group = GROUPS.find((g) => g.name === name);
  if (!group) throw new Error(`no mutation group named ${JSON.stringify(name)} in bench/mutate/groups.json (groups: ${GROUPS.map((g) => g.name).join(', ')})`);
  return group;
}
