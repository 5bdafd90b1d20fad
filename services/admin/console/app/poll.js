// Refreshing views: load now, then again every `everyMs`; after a failure wait twice as long each
// time (at most `maxMs`) and show the failure, until a load succeeds again. And one-off actions.
import { useEffect, useRef, useState } from 'preact/hooks';

export function usePoll(load, deps, { everyMs = 3000, maxMs = 30_000 } = {}) {
  const [state, setState] = useState({ data: undefined, error: undefined, at: undefined, loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  const interval = useRef(everyMs);
  interval.current = everyMs;
  useEffect(() => {
    let stopped = false;
    let timer;
    let delay = interval.current;
    const run = async () => {
      try {
        const data = await latest.current();
        if (stopped) return;
        setState({ data, error: undefined, at: new Date(), loading: false });
        delay = interval.current;
      } catch (error) {
        if (stopped) return;
        setState((previous) => ({ ...previous, error, loading: false }));
        delay = Math.min(Math.max(delay, 1000) * 2, maxMs);
      }
      if (!stopped && interval.current > 0) timer = setTimeout(run, delay);
    };
    setState((previous) => ({ ...previous, loading: true }));
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, round]);
  return { ...state, refresh: () => setRound((r) => r + 1) };
}

/** A button's work: `busy` names what runs, `error` holds its failure until the next run. */
export function useAction() {
  const [busy, setBusy] = useState();
  const [error, setError] = useState();
  async function run(label, work) {
    setBusy(label);
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(undefined);
    }
  }
  return { busy, error, run };
}
