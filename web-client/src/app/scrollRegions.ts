import { useEffect } from 'react';

const SCROLLERS = '.ant-table-content, .ant-table-body';

/**
 * A table wider than the screen scrolls sideways inside its own box; keyboard users can only
 * scroll it if the box can take focus (WCAG 2.1.1). Ant Design does not make it focusable, so
 * every such box that actually overflows gets tabindex=0 as it appears.
 */
export function useFocusableScrollRegions(): void {
  useEffect(() => {
    let queued = 0;
    const mark = () => {
      queued = 0;
      document.querySelectorAll<HTMLElement>(SCROLLERS).forEach((box) => {
        const overflows = box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight;
        if (overflows && !box.hasAttribute('tabindex')) box.tabIndex = 0;
      });
    };
    const schedule = () => { if (!queued) queued = requestAnimationFrame(mark); };
    const observer = new MutationObserver(schedule);
    observer.observe(document.body, { childList: true, subtree: true });
    window.addEventListener('resize', schedule);
    schedule();
    return () => {
      observer.disconnect();
      window.removeEventListener('resize', schedule);
      if (queued) cancelAnimationFrame(queued);
    };
  }, []);
}
