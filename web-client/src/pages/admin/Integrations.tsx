import { Empty } from 'antd';
import { useTranslation } from 'react-i18next';

export default function Integrations({ kind }: { kind: 'webhooks' | 'templates' }) {
  const { t } = useTranslation();
  return <Empty description={`${t(`admin.${kind}`)}: ${t('admin.notAvailable')}`} />;
}
