import type { DependencyContainer, InjectionToken } from 'tsyringe';

/** One `container.register(token, provider)` call. */
export interface Registration {
  readonly token: InjectionToken<unknown>;
  readonly provider: { useValue?: unknown; useFactory?: unknown; useClass?: unknown; useToken?: unknown };
}

/**
 * A stand-in container that records what a package's `register(container)` registers,
 * without loading tsyringe: `viommu regs` and `viommu plugins` only need the stateless
 * values (plugin manifests, drivers). Anything else a package calls is a contract breach.
 */
export class RegistrationRecorder {
  readonly registrations: Registration[] = [];

  register(token: InjectionToken<unknown>, provider: Registration['provider']): this {
    this.registrations.push({ token, provider });
    return this;
  }

  /** The recorder seen as the container type packages expect. */
  asContainer(): DependencyContainer {
    return this as unknown as DependencyContainer;
  }

  /** Values registered with `useValue` under `token`, in registration order. */
  values<T>(token: InjectionToken<T>): T[] {
    return this.registrations.filter((r) => r.token === token && 'useValue' in r.provider).map((r) => r.provider.useValue as T);
  }

  /** How many registrations `token` got, of any provider kind. */
  count(token: InjectionToken<unknown>): number {
    return this.registrations.filter((r) => r.token === token).length;
  }
}
