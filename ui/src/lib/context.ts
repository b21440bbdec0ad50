// How the desk's UI services reach components: each service is created once (in `main.ts` or
// `App.svelte`) and provided under its token; a component asks for what it needs with
// `inject`. A token is typed, so what comes back is the service's own type, and a component
// rendered without its service (a test that forgot it) fails at once with the service's name.

import { getContext, hasContext, setContext } from 'svelte';

export class InjectionToken<T> {
  readonly key: symbol;
  /** Never read: it carries `T` so `inject` returns the right type. */
  declare readonly _type: T;

  constructor(readonly name: string) {
    this.key = Symbol(name);
  }
}

/** Makes `value` the `token`'s service for this component and its children; returns it. */
export function provide<T>(token: InjectionToken<T>, value: T): T {
  setContext(token.key, value);
  return value;
}

/** The `token`'s service, provided by an ancestor. */
export function inject<T>(token: InjectionToken<T>): T {
  if (!hasContext(token.key)) throw new Error(`${token.name} was not provided`);
  return getContext<T>(token.key);
}

/** The `token`'s service when an ancestor provided one. */
export function injectOptional<T>(token: InjectionToken<T>): T | undefined {
  return hasContext(token.key) ? getContext<T>(token.key) : undefined;
}
