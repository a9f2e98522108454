/**
 * Which label table ("kind") each enum of the API uses: `label(kind, value)` in labels.ts reads
 * `enum.<kind>.<value>` from enumLabels.zh.ts / enumLabels.en.ts.
 *
 * Keys name where the enum sits in openapi/openapi.json, so scripts/check-labels.mjs can walk
 * the spec and prove every value has a zh-CN and an en label:
 *   - `Schema`              an enum schema of its own (components.schemas.Schema.enum)
 *   - `Schema.property`     an enum written inline under a property (also in its items,
 *                           anyOf branches or propertyNames)
 *   - `GET /path ?name`     an enum on a query or path parameter
 * Several places may share one kind (a template's channel and a preference's channels are the
 * same words). A new enum in the spec fails the check until it is given a kind here.
 *
 * Kinds that are not API enums but still need labels (the server's seeded picklists `industry`
 * and `region`, approval-policy settings, audit actions) are listed in EXTRA_KINDS.
 *
 * Plain object literals only: the check script reads this file without a TypeScript compiler.
 */
export const enumKinds: Record<string, string> = {
  'GET /api/v1/opportunities ?view': 'opportunity_view',
  'GET /api/v1/notifications/deliveries ?channel': 'channel',
  'GET /api/v1/templates ?kind': 'template_kind',
  'GET /api/v1/templates ?channel': 'channel',
  'GET /api/v1/templates ?locale': 'locale',
  'KindChannels.kind': 'template_kind',
  'KindChannels.channels': 'channel',
  'TemplateCreate.kind': 'template_kind',
  'TemplateCreate.channel': 'channel',
  'TemplateCreate.locale': 'locale',
  'PreferencesIn.locale': 'locale',
  'AssignedBy': 'assigned_by',
  'RecordKind': 'record_kind',
  'ExportObject': 'record_kind',
  'Locale': 'locale',
  'ContractStatus': 'contract_status',
  'CustomerCreate.grade': 'customer_status',
  'Grade': 'customer_status',
  'CustomerKind': 'customer_kind',
  'Tier': 'customer_tier',
  'DeliveryStatus-Output': 'delivery_status',
  'domain__webhooks__model__DeliveryStatus': 'delivery_status',
  'domain__notifications__model__DeliveryStatus': 'delivery_status',
  'ExportFormat': 'export_format',
  'ExportStatus': 'export_status',
  'FieldType': 'field_type',
  'FlagCode': 'lead_flag',
  'FollowUpMethod': 'followup_method',
  'FollowUpStatus': 'followup_status',
  'ImportStatus': 'import_status',
  'Policy': 'import_policy',
  'Target': 'import_target',
  'LeadGrade': 'lead_grade',
  'LeadStatus': 'lead_status',
  'Source': 'lead_source',
  'Size': 'company_size',
  'Method': 'routing_mode',
  'RuleKind': 'scoring_rule',
  'OpportunityStatus': 'opportunity_status',
  'StageKind': 'opportunity_status',
  'Requirement': 'stage_requirement',
  'Retag.filter': 'segment_filter',
  'SegmentCreate.filter': 'segment_filter',
  'SegmentUpdate.filter': 'segment_filter',
  'SegmentSharing': 'segment_sharing',
  'TagCategory': 'tag_category',
  'Role': 'role',
  'Scope': 'scope',
  'StepRole': 'approval_step_role',
  'StepStatus': 'approval_state',
  'TaskOrigin': 'task_origin',
  'TaskStatus': 'task_status',
  'WebhookCreate.event_types': 'webhook_event',
  'WebhookUpdate.event_types': 'webhook_event',
};

/** Label tables with no enum in the spec; the check only requires zh-CN and en to match. */
export const EXTRA_KINDS: string[] = ['industry', 'region', 'audit_object', 'audit_verb', 'audit_field'];
