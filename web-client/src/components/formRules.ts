/**
 * Form rules that say in the browser what the server would answer (api/v1/schemas/customers.py
 * and activity.py): the same required fields, lengths and patterns, so a user learns of a
 * mistake before sending and in their own language. The server stays the judge; these only
 * save a round trip.
 */
import type { Rule } from 'antd/es/form';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

/** Something other than spaces (the server's NOT_BLANK). */
const NOT_BLANK = /\S/;
/** A decimal with at most 16 digits before the point and two after (the server's Money). */
const MONEY = /^\d{1,16}(\.\d{1,2})?$/;
/** Loose on purpose: the server stores phone numbers as written (extensions, +86, dashes). */
const PHONE = /^[0-9+\-()\s#*]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function useRuleMaker() {
  const { t } = useTranslation();
  return useMemo(() => ({
    required: (): Rule => ({ required: true, message: t('formRules.required') }),
    notBlank: (): Rule => ({ pattern: NOT_BLANK, message: t('formRules.notBlank') }),
    max: (n: number): Rule => ({ max: n, message: t('formRules.max', { n }) }),
    min: (n: number): Rule => ({ min: n, message: t('formRules.min', { n }) }),
    t,
  }), [t]);
}

export function useCustomerRules() {
  const make = useRuleMaker();
  return useMemo(() => {
    const { required, notBlank, max, min, t } = make;
    return {
      // A customer's name: 2–200 characters, not starting or ending with spaces only.
      customerName: [required(), { whitespace: true, message: t('formRules.notBlank') }, min(2), max(200)] as Rule[],
      contactName: [notBlank(), max(100)] as Rule[],
      phone: [max(40), { pattern: PHONE, message: t('formRules.phone') }] as Rule[],
      email: [max(254), { pattern: EMAIL, message: t('formRules.email') }] as Rule[],
      picklist: [max(50)] as Rule[],
      money: [{ pattern: MONEY, message: t('formRules.money') }] as Rule[],
      plan: [max(500)] as Rule[],
      keyNeeds: [max(2000)] as Rule[],
    };
  }, [make]);
}

export function useFollowUpRules() {
  const make = useRuleMaker();
  return useMemo(() => {
    const { required, notBlank, max } = make;
    return {
      method: [required()] as Rule[],
      summary: [required(), notBlank(), max(5000)] as Rule[],
      feedback: [max(5000)] as Rule[],
      nextAction: [max(500)] as Rule[],
    };
  }, [make]);
}
