import { Spin } from 'antd';
import { useEffect, useRef, useState } from 'react';

type Option = Record<string, unknown>;

/** ECharts, loaded only when a chart is on screen (it is not in any route's first chunk). */
export function LazyChart({ option, height = 260 }: { option: Option; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<{ setOption: (o: Option, n?: boolean) => void; resize: () => void; dispose: () => void } | null>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let disposed = false;
    let onResize: (() => void) | null = null;
    (async () => {
      const { init } = await import('./echarts');
      if (disposed || !el.current) return;
      chart.current = init(el.current) as unknown as typeof chart.current;
      onResize = () => chart.current?.resize();
      window.addEventListener('resize', onResize);
      setReady(true);
    })();
    return () => {
      disposed = true;
      if (onResize) window.removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => { if (ready) chart.current?.setOption(option, true); }, [ready, option]);
  return (
    <div style={{ position: 'relative' }}>
      {!ready && <Spin style={{ position: 'absolute', inset: 0, margin: 'auto' }} />}
      <div ref={el} style={{ width: '100%', height }} data-testid="chart" />
    </div>
  );
}
