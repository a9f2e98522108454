import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';

export default function MyDayPage() {
  const { t } = useTranslation();
  return <Typography.Title level={3}>{t('myDay.title')}</Typography.Title>;
}
