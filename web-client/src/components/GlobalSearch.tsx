import { SearchOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Grid, Input, Modal, Spin, Typography, type InputRef } from 'antd';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { InlineError } from './States';

type Hit = Schemas['SearchHitOut'];

const MIN_QUERY = 2; // the server refuses shorter queries (one character matches most names)
const DEBOUNCE_MS = 200;

/** Where a hit opens: contacts live on their customer's page; leads and deals open their drawer. */
export function hitPath(hit: Hit): string {
  switch (hit.type) {
    case 'customer': return `/customers/${hit.id}`;
    case 'contact': return `/customers/${hit.customer_id}`;
    case 'lead': return `/leads?open=${hit.id}`;
    case 'opportunity': return `/pipeline?open=${hit.id}`;
    case 'contract': return `/contracts/${hit.id}`;
  }
}

function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** The header's search box (an icon on a phone) and the Ctrl/⌘+K palette it opens: customers,
 * contacts, leads, opportunities and contracts by name, number, pinyin or initials, grouped by
 * kind, chosen with ↑ ↓ and Enter. */
export function GlobalSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const mobile = Grid.useBreakpoint().md === false;
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<InputRef>(null);
  const q = useDebounced(text.trim(), DEBOUNCE_MS);
  const ready = q.length >= MIN_QUERY;

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const found = useQuery({
    queryKey: ['search', q],
    queryFn: () => unwrap(api.GET('/api/v1/search', { params: { query: { q, limit: 5 } } })),
    enabled: open && ready,
    staleTime: 30_000,
  });
  const groups = useMemo(() => (found.data?.groups ?? []).filter((g) => g.items.length > 0), [found.data]);
  const hits = useMemo(() => groups.flatMap((g) => g.items), [groups]);
  useEffect(() => setActive(0), [found.data]);

  const close = () => { setOpen(false); setText(''); };
  const go = (hit: Hit | undefined) => {
    if (!hit) return;
    close();
    navigate(hitPath(hit));
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive((i) => Math.min(i + 1, hits.length - 1)); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((i) => Math.max(i - 1, 0)); }
    else if (e.key === 'Enter') { e.preventDefault(); go(hits[active]); }
  };

  let index = -1;
  const results = (
    <div role="listbox" id="global-search-results" aria-label={t('search.label')}
      style={{ maxHeight: mobile ? 'calc(100vh - 140px)' : 420, overflowY: 'auto', marginTop: 12 }}>
      {groups.map((group) => (
        <div key={group.type} role="group" aria-label={t(`search.groups.${group.type}`)}>
          <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12, padding: '8px 8px 4px' }}>
            {t(`search.groups.${group.type}`)}
          </Typography.Text>
          {group.items.map((hit) => {
            index += 1;
            const mine = index;
            const selected = mine === active;
            return (
              <div key={`${hit.type}:${hit.id}`} id={`search-hit-${mine}`} role="option" aria-selected={selected}
                data-testid="search-hit" onMouseEnter={() => setActive(mine)} onClick={() => go(hit)}
                style={{ padding: '8px', borderRadius: 6, cursor: 'pointer', background: selected ? '#e6f4ff' : undefined }}>
                <div style={{ fontWeight: 500, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{hit.title}</div>
                <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                  {hit.matched === 'phone' ? `${t('search.byPhone', { q })} · ${hit.subtitle}` : hit.subtitle}
                </Typography.Text>
              </div>
            );
          })}
        </div>
      ))}
    </div>
  );

  return (
    <>
      {mobile ? (
        <Button type="text" icon={<SearchOutlined />} aria-label={t('search.open')} onClick={() => setOpen(true)} data-testid="search-button" />
      ) : (
        <Input readOnly prefix={<SearchOutlined />} placeholder={t('search.placeholder')} aria-label={t('search.open')}
          suffix={<Typography.Text type="secondary" style={{ fontSize: 12 }}>Ctrl K</Typography.Text>}
          style={{ maxWidth: 320 }} onClick={() => setOpen(true)} onFocus={(e) => { e.target.blur(); setOpen(true); }}
          data-testid="search-box" />
      )}
      <Modal open={open} onCancel={close} footer={null} closable={mobile} destroyOnHidden title={mobile ? t('search.label') : undefined}
        width={mobile ? '100%' : 640} style={mobile ? { top: 0, maxWidth: '100vw', margin: 0, paddingBottom: 0 } : { top: 80 }}
        afterOpenChange={(visible) => { if (visible) input.current?.focus(); }}>
        <Input ref={input} autoFocus size="large" allowClear prefix={<SearchOutlined />} value={text}
          placeholder={t('search.placeholder')} aria-label={t('search.label')} onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown} role="combobox" aria-expanded={hits.length > 0} aria-controls="global-search-results"
          aria-activedescendant={hits.length > 0 ? `search-hit-${active}` : undefined} data-testid="search-input" />
        {!ready && <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>{t('search.hint')}</Typography.Paragraph>}
        {ready && found.isError && <div style={{ marginTop: 12 }}><InlineError error={found.error} /></div>}
        {ready && found.isPending && <div style={{ marginTop: 12, textAlign: 'center' }}><Spin /></div>}
        {ready && found.isSuccess && hits.length === 0 && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>{t('search.empty', { q })}</Typography.Paragraph>
        )}
        {hits.length > 0 && results}
        {!mobile && hits.length > 0 && (
          <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 8 }}>{t('search.keys')}</Typography.Text>
        )}
      </Modal>
    </>
  );
}
