"""Words of custom fields, tags and segments: their validation messages and refusals.
Templates take `{name}` parameters (see domain/shared/catalogue.py)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # ---- custom fields ----------------------------------------------------------------------
    "custom_field.customers_only": {"zh-CN": "目前只有客户可以设置自定义字段",
                                    "en": "only customers have custom fields so far"},
    "custom_field.key_format": {
        "zh-CN": "只能包含小写字母、数字和下划线，以字母开头，最多 50 个字符",
        "en": "must be lower-case letters, digits and _ (starting with a letter, at most 50)"},
    "custom_field.options_needed": {"zh-CN": "选项类字段至少需要一个选项",
                                    "en": "a choice field needs at least one option"},
    "custom_field.options_distinct": {"zh-CN": "选项不能重复", "en": "options must be different"},
    "custom_field.no_options": {"zh-CN": "「{type}」类型的字段没有选项",
                                "en": "a {type} field has no options"},
    "custom_field.text_value": {"zh-CN": "须为文本，最多 {max} 个字符",
                                "en": "must be text of at most {max} characters"},
    "custom_field.date_value": {"zh-CN": "须为日期，如 2026-11-28",
                                "en": "must be a date like 2026-11-28"},
    "custom_field.choice_value": {"zh-CN": "须为以下选项之一：{choices}",
                                  "en": "must be one of: {choices}"},
    "custom_field.choices_value": {"zh-CN": "{bad} 不在可选项中：{choices}",
                                   "en": "{bad} not among: {choices}"},
    "custom_field.undefined": {"zh-CN": "不是已定义的自定义字段",
                               "en": "is not a defined custom field"},
    "custom_field.key_taken": {"zh-CN": "标识为 {key} 的自定义字段已存在",
                               "en": "A custom field with key {key} already exists"},
    "field_type.text": {"zh-CN": "文本", "en": "text"},
    "field_type.number": {"zh-CN": "数字", "en": "number"},
    "field_type.date": {"zh-CN": "日期", "en": "date"},
    "field_type.boolean": {"zh-CN": "是/否", "en": "boolean"},
    "field_type.single_choice": {"zh-CN": "单选", "en": "single choice"},
    "field_type.multi_choice": {"zh-CN": "多选", "en": "multiple choice"},
    # ---- tags ---------------------------------------------------------------------------------
    "tag.colour_format": {"zh-CN": "须为颜色值，如 #1677ff", "en": "must be a colour like #1677ff"},
    "tag.name_format": {"zh-CN": "须为 1 到 50 个字符，不能含逗号",
                        "en": "must be 1 to 50 characters, without a comma"},
    "tag.name_taken": {"zh-CN": "标签「{name}」已存在", "en": "The tag {name} already exists"},
    # ---- segments -----------------------------------------------------------------------------
    "segment.department_required": {"zh-CN": "共享给部门时必须选择部门",
                                    "en": "is required to share with a department"},
    "segment.owner_only": {"zh-CN": "只有客户分群的创建人可以修改",
                           "en": "Only the segment's owner changes it"},
    "segment.no_such_department": {"zh-CN": "没有这个部门", "en": "no such department"},
    "segment.own_departments_only": {"zh-CN": "只能共享给您所在的部门",
                                     "en": "You can share only with your own departments"},
    "segment.users_only": {"zh-CN": "客户分群属于用户，集成无法创建",
                           "en": "Segments belong to users"},
}
