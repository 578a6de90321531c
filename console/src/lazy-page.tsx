import { type ComponentType, lazy } from 'react';

/** A page whose code loads on first use, with `preload()` to start (and await) that load early. */
export type LazyPage<P extends object> = ComponentType<P> & { preload: () => Promise<ComponentType<P>> };

/**
 * A page loaded on first use (`React.lazy`), drawn directly once its code is here. React throttles
 * the reveal of content that replaces a Suspense fallback (300 ms after the fallback showed), so a
 * page that was preloaded (the console opened on it) must not go through the fallback at all.
 */
export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): LazyPage<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  const preload = () => {
    loading ??= load().then(
      (component) => {
        loaded = component;
        return component;
      },
      (error: unknown) => {
        loading = undefined; // a failed load (the network) is tried again on the next use
        throw error;
      },
    );
    return loading;
  };
  const Lazy = lazy(() => preload().then((component) => ({ default: component })));
  // biome-ignore lint/correctness/noComponentHookFactories: called once per page at module level, as React.lazy is
  function Page(props: P) {
    const Component = loaded ?? Lazy;
    return <Component {...props} />;
  }
  return Object.assign(Page, { preload });
}
