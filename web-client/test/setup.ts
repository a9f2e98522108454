import '@testing-library/jest-dom/vitest';

// jsdom lacks these; Ant Design's responsive helpers call them.
if (!window.matchMedia) {
  window.matchMedia = (query: string) => ({
    matches: false, media: query, onchange: null,
    addListener: () => {}, removeListener: () => {},
    addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false,
  }) as unknown as MediaQueryList;
}
class RO { observe() {} unobserve() {} disconnect() {} }
(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= RO;
window.getComputedStyle = ((orig) => (el: Element) => orig(el))(window.getComputedStyle);

import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

import { configure } from '@testing-library/react';

// antd renders slowly in jsdom on a loaded machine: give findBy* more than the default second.
configure({ asyncUtilTimeout: 10000 });
