import type { ErrnoName } from '../errno.js';

/**
 * Shared mechanics of simulated kernels: fault injection and the live-object table.
 */

/** When an injected fault fires: at the n-th call (1-based), and/or on a named call. */
export interface FaultSpec {
  /** Fail the call with this 1-based index among all fallible kernel calls. */
  readonly atCall?: number;
  /** Fail calls with this name (`IOMMU_HWPT_ALLOC`, `open`, …); with `atCall`, both must match. */
  readonly call?: string;
  /** Fail only the k-th matching call (1-based); default every matching call. */
  readonly occurrence?: number;
  readonly errno: ErrnoName;
}

/** Counts fallible kernel calls and decides which one fails. */
export class FaultPlan {
  #count = 0;
  #matches = 0;
  readonly fired: { call: string; index: number; errno: ErrnoName }[] = [];

  constructor(readonly faults: readonly FaultSpec[] = []) {}

  /** Number of fallible calls seen so far. */
  get calls(): number {
    return this.#count;
  }

  /** Called at the top of every fallible call; returns the errno to fail with, if any. */
  next(call: string): ErrnoName | undefined {
    const index = ++this.#count;
    for (const f of this.faults) {
      if (f.atCall !== undefined && f.atCall !== index) continue;
      if (f.call !== undefined && f.call !== call) continue;
      if (f.occurrence !== undefined && ++this.#matches !== f.occurrence) continue;
      this.fired.push({ call, index, errno: f.errno });
      return f.errno;
    }
    return undefined;
  }
}

/** A live kernel object, for leak checks. */
export interface LiveObject {
  /** `ioas`, `hwpt_paging`, `hwpt_nested`, `viommu`, `vdevice`, `device`, `fd`, `container`, `group` … */
  readonly kind: string;
  readonly id: number;
  readonly description?: string;
}

/** Anything that can list the objects it holds. */
export interface LiveObjectSource {
  liveObjects(): LiveObject[];
}
