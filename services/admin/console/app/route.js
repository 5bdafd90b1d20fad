// Hash routes: `#/view?param=value`. The parameters are the page's state (filters, forms), so a link
// shows the same thing, and a sign-in round trip brings it back.
import { useEffect, useState } from 'preact/hooks';

export function currentRoute() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?', 2);
  return { view: path || 'connectors', params: new URLSearchParams(search) };
}

export function href(view, params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null && value !== '') search.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = search.toString();
  return `#/${view}${text ? `?${text}` : ''}`;
}

/** Writes a view's state into the address without a new history entry or a re-route. */
export function keepInAddress(view, params) {
  history.replaceState(null, '', href(view, params));
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** A comma-separated parameter as a list. */
export const listParam = (params, name) => (params.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
