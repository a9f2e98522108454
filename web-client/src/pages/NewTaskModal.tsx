/** A task of one's own, from My Day: a title and, if it has one, when it is due. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { DatePicker, Form, Input, Modal } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { InlineError } from '../components/States';
import { placeServerErrors } from './ContractForm';

interface Values { title: string; due_at?: Dayjs | null }

export function NewTaskModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [form] = Form.useForm<Values>();
  const [unplaced, setUnplaced] = useState<unknown>(null);
  const create = useMutation({
    mutationFn: (v: Values) => unwrap(api.POST('/api/v1/tasks', {
      body: { title: v.title.trim(), due_at: v.due_at?.toISOString() ?? null, related_type: null } })),
    onMutate: () => setUnplaced(null),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['tasks'] }); onClose(); },
    onError: (e) => { if (!placeServerErrors(form, e, ['title', 'due_at'])) setUnplaced(e); },
  });
  return (
    <Modal open title={t('myday.newTask')} onCancel={onClose} onOk={() => form.submit()} confirmLoading={create.isPending}
      okText={t('common.create')} cancelText={t('common.cancel')} destroyOnHidden>
      <InlineError error={unplaced} />
      {/* Due today by default, so the new task shows on My Day. */}
      <Form form={form} layout="vertical" initialValues={{ due_at: dayjs().endOf('day').startOf('minute') }} onFinish={(v) => create.mutate(v)}>
        <Form.Item name="title" label={t('tasks.title')} required
          rules={[{ validator: (_, v) => (!v || !String(v).trim() ? Promise.reject(new Error(t('myday.taskTitleRequired'))) : Promise.resolve()) },
            { max: 200, message: t('myday.taskTitleTooLong', { max: 200 }) }]}>
          <Input maxLength={200} data-testid="new-task-title" />
        </Form.Item>
        <Form.Item name="due_at" label={t('tasks.due')}>
          <DatePicker showTime style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
