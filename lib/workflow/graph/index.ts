export { ancestors } from './ancestors.ts';
export { children } from './children.ts';
export { findCycle } from './find-cycle.ts';
export { buildGraph, type Graph } from './graph.ts';
export { parents } from './parents.ts';
export { reachableFrom } from './reachable-from.ts';
export { topologicalOrder } from './topological-order.ts';
