/**
 * Counts how often message rows render, through the hook React offers its DevTools
 * (`__REACT_DEVTOOLS_GLOBAL_HOOK__`, read once when react-dom loads, so this module must be
 * imported before it). After each commit the fiber tree is walked: a row fiber rendered in
 * this commit if it is not the object the previous commit had (React double-buffers fibers;
 * a subtree it skipped keeps its old objects) and it carries React's PerformedWork flag (a
 * row that bailed out on equal props is cloned without it).
 */

interface Fiber {
  readonly type: unknown;
  readonly flags: number;
  readonly child: Fiber | null;
  readonly sibling: Fiber | null;
}

const PERFORMED_WORK = 1;

let target: unknown;
let previous = new Set<Fiber>();
let renders = 0;
let mounted = 0;

function walk(fiber: Fiber | null, seen: Set<Fiber>): void {
  for (let f = fiber; f !== null; f = f.sibling) {
    if (f.type === target && target !== undefined) {
      seen.add(f);
      if (!previous.has(f) && (f.flags & PERFORMED_WORK) !== 0) renders++;
    }
    walk(f.child, seen);
  }
}

(globalThis as Record<string, unknown>).__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
  supportsFiber: true,
  isDisabled: false,
  renderers: new Map(),
  inject: () => 1,
  checkDCE: () => undefined,
  onCommitFiberRoot(_id: number, root: { current: Fiber }) {
    const seen = new Set<Fiber>();
    walk(root.current, seen);
    previous = seen;
    mounted = seen.size;
  },
  onCommitFiberUnmount: () => undefined,
  onPostCommitFiberRoot: () => undefined,
};

export const rowCounter = {
  /** The component function whose renders are counted (the inner function of a memo()). */
  watch(component: unknown): void {
    const inner = typeof component === 'object' && component !== null && 'type' in component ? (component).type : component;
    target = inner;
  },
  get renders(): number {
    return renders;
  },
  /** Rows in the tree after the last commit. */
  get mounted(): number {
    return mounted;
  },
  reset(): void {
    renders = 0;
  },
};
