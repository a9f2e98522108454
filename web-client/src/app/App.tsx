import { QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { useEffect, useState } from 'react';
import { RouterProvider } from 'react-router';
import i18n from '../i18n';
import { queryClient } from './queryClient';
import { router } from './routes';


export function App() {
  const [lang, setLang] = useState(i18n.language);
  useEffect(() => {
    const on = (l: string) => {
      setLang(l);
      // What the server wrote (notifications, messages) is read again in the new language.
      void queryClient.invalidateQueries();
    };
    i18n.on('languageChanged', on);
    return () => i18n.off('languageChanged', on);
  }, []);
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#1677ff' } }}>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
