import type { FieldIssue } from "../kernel/errors.js";

/**
 * Which events an endpoint receives. A filter is `*` (everything), an exact event type
 * (`gathering.created`) or a dotted prefix ending in `.*` (`gathering.member.*`), which matches every
 * type below that prefix at any depth (`gathering.*` matches `gathering.member.joined` too). No filters
 * means every event, so an endpoint created without filters hears new event types as they are added.
 */

export const MAX_EVENT_FILTERS = 50;
export const ALL_EVENTS = "*";

const SEGMENTS = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;

/** Issues with each filter, at `${at}.${index}`; empty when the list is valid. */
export function validateEventFilters(
  filters: readonly string[],
  knownTypes: readonly string[],
  at = "filters",
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (filters.length > MAX_EVENT_FILTERS) {
    issues.push({ path: at, message: `must have at most ${MAX_EVENT_FILTERS} filters, got ${filters.length}` });
  }
  const firstIndex = new Map<string, number>();
  filters.forEach((filter, index) => {
    const path = `${at}.${index}`;
    const seen = firstIndex.get(filter);
    if (seen !== undefined) {
      issues.push({ path, message: `duplicates ${at}.${seen} ("${filter}")` });
      return;
    }
    firstIndex.set(filter, index);
    if (filter === ALL_EVENTS) return;
    if (filter.endsWith(".*")) {
      const prefix = filter.slice(0, -2);
      if (!SEGMENTS.test(prefix)) {
        issues.push({ path, message: `"${filter}" is not a dotted prefix followed by .*, e.g. "gathering.member.*"` });
      } else if (!knownTypes.some((type) => matchesFilter(filter, type))) {
        issues.push({ path, message: `"${filter}" matches no known event type` });
      }
      return;
    }
    if (!knownTypes.includes(filter)) {
      issues.push({
        path,
        message: filter.includes("*")
          ? `"${filter}" may use * only alone or as a whole last segment, e.g. "gathering.*"`
          : `"${filter}" is not a known event type`,
      });
    }
  });
  return issues;
}

function matchesFilter(filter: string, type: string): boolean {
  if (filter === ALL_EVENTS) return true;
  // Keep the dot of ".*" so "gathering.*" does not match "gatheringfoo.created".
  if (filter.endsWith(".*")) return type.startsWith(filter.slice(0, -1));
  return filter === type;
}

export function matchesFilters(filters: readonly string[], type: string): boolean {
  return filters.length === 0 || filters.some((filter) => matchesFilter(filter, type));
}
