// A service's source in a test: a `$state` object, so the service's `$derived` values follow
// what the test changes, as they follow a component's props in the app.

export function reactive<T extends object>(value: T): T {
  const state = $state(value);
  return state;
}
