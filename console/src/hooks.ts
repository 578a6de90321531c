import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api/client';

/** Loads something; `reload` runs it again; `every` (ms) refreshes it while mounted. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], every?: number) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const current = useRef(load);
  current.current = load;
  const reload = useCallback(async () => {
    try {
      setData(await current.current());
      setError(undefined);
    } catch (caught) {
      setError(describe(caught));
    }
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what the load depends on
  useEffect(() => {
    void reload();
    if (!every) return;
    const timer = setInterval(() => void reload(), every);
    return () => clearInterval(timer);
  }, [...deps, every]);
  return { data, error, reload, setData };
}

/** A refusal as one line: the problem's detail and its field errors. */
export const describe = (error: unknown): string => {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    return `${error.status} ${error.problem.title}: ${error.problem.detail ?? ''}${fields ? ` (${fields})` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
};
