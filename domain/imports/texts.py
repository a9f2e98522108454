"""Words of imports: refusals of a file or its mapping, why a row was skipped or rejected, and
why a whole import failed. Row reasons are written in the language of whoever started the import
(they are rendered by the job, which speaks that person's language).
Templates take `{name}` parameters (see domain/shared/catalogue.py)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # ---- the request ------------------------------------------------------------------------
    "import.users_only": {"zh-CN": "导入须以用户身份进行，集成无法发起",
                          "en": "Imports run on behalf of a user"},
    "import.file_format": {"zh-CN": "须为 .csv 或 .xlsx 文件", "en": "must be a .csv or .xlsx file"},
    "import.file_empty": {"zh-CN": "文件为空", "en": "is empty"},
    "import.only_previewed_starts": {"zh-CN": "只有已完成的试运行才能正式导入",
                                     "en": "Only a finished dry run can be started for real"},
    # ---- the mapping of the file's columns ----------------------------------------------------
    "import.not_a_column": {"zh-CN": "不是文件中的列", "en": "is not a column of the file"},
    "import.not_a_field": {"zh-CN": "「{target}」不是可导入的字段",
                           "en": "'{target}' is not a field"},
    "import.mapping_not_json": {"zh-CN": "不是有效的 JSON", "en": "is not JSON"},
    "import.mapping_shape": {"zh-CN": "须为“列名 → 字段”的对象",
                             "en": "must be an object of column → field"},
    "import.name_unmapped": {"zh-CN": "没有列对应到客户名称",
                             "en": "no column is mapped to the customer name"},
    # ---- a row's values -----------------------------------------------------------------------
    "import.kind_value": {"zh-CN": "须为“公司”或“个人”（company/person）",
                          "en": "must be company/公司 or person/个人"},
    "import.no_such_owner": {"zh-CN": "找不到唯一名为「{name}」的用户",
                             "en": "no single user is called '{name}'"},
    "import.duplicate_in_file": {"zh-CN": "与文件中前面的某一行重复",
                                 "en": "duplicates an earlier row of the file"},
    "import.duplicate_existing": {"zh-CN": "与已有客户重复", "en": "duplicates an existing customer"},
    "import.duplicate_hidden": {"zh-CN": "与其他同事负责的客户重复",
                                "en": "duplicates a customer owned by someone else"},
    "import.duplicate_gone": {"zh-CN": "重复的客户已不存在",
                              "en": "duplicates a customer that is gone"},
    # ---- a whole import failing ---------------------------------------------------------------
    "import.unreadable": {"zh-CN": "文件无法处理（{reason}）",
                          "en": "the file could not be processed ({reason})"},
    "import.requester_inactive": {"zh-CN": "发起导入的用户已停用",
                                  "en": "the user who started the import is no longer active"},
    # ---- timeline lines -----------------------------------------------------------------------
    "import.line.created": {"zh-CN": "从 {filename} 第 {row} 行导入",
                            "en": "Imported from {filename}, row {row}"},
}
