"""The words of users, departments, sign-in and API keys."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # Signing in and staying signed in.
    "identity.wrong_credentials": {"zh-CN": "邮箱或密码不正确", "en": "Incorrect e-mail or password"},
    "identity.too_many_logins": {"zh-CN": "您所在网络的登录尝试过于频繁，请 {wait} 秒后重试",
                                 "en": "Too many log-ins from your address; try again in {wait} s"},
    "identity.invalid_refresh_token": {"zh-CN": "刷新令牌无效", "en": "Invalid refresh token"},
    "identity.refresh_token_reused": {"zh-CN": "此刷新令牌已被使用过，请重新登录",
                                      "en": "This refresh token was already used; sign in again"},
    "identity.session_ended": {"zh-CN": "登录已失效，请重新登录",
                               "en": "The session has ended; sign in again"},
    "identity.token_revoked": {"zh-CN": "登录凭证已失效，请重新登录",
                               "en": "The token is no longer valid"},
    "identity.not_an_access_token": {"zh-CN": "这不是访问令牌", "en": "Not an access token"},
    "identity.access_token_invalid": {"zh-CN": "访问令牌无效或已过期，请重新登录",
                                      "en": "The access token is invalid or has expired"},
    "identity.invalid_api_key": {"zh-CN": "API 密钥无效", "en": "Invalid API key"},
    "identity.sign_in_first": {"zh-CN": "请先登录：请求需携带“Authorization: Bearer <令牌>”",
                               "en": "Sign in first: send 'Authorization: Bearer <token>'"},
    # Passwords.
    "identity.password_too_short": {"zh-CN": "至少 {min} 个字符",
                                    "en": "must be at least {min} characters long"},
    "identity.password_too_long": {"zh-CN": "最多 {max} 个字符",
                                   "en": "must be at most {max} characters long"},
    "identity.password_incorrect": {"zh-CN": "不正确", "en": "is not correct"},
    # Users and departments.
    "identity.email_taken": {"zh-CN": "邮箱为 {email} 的用户已存在",
                             "en": "A user with e-mail {email} already exists"},
    "identity.cannot_demote_yourself": {"zh-CN": "不能取消自己的管理员角色",
                                        "en": "you cannot take the admin role from yourself"},
    "identity.cannot_disable_yourself": {"zh-CN": "不能停用自己的账号",
                                         "en": "you cannot disable yourself"},
    "identity.user_already_disabled": {"zh-CN": "该用户已停用", "en": "The user is already disabled"},
    "identity.user_already_active": {"zh-CN": "该用户已启用", "en": "The user is already active"},
    "identity.no_such_department": {"zh-CN": "部门不存在", "en": "no such department"},
    "identity.department_cycle": {"zh-CN": "会使部门层级形成循环",
                                  "en": "would make the department tree a cycle"},
    "identity.department_not_empty": {"zh-CN": "该部门下仍有用户或子部门",
                                      "en": "The department still has users or sub-departments"},
    # API keys.
    "identity.scope_required": {"zh-CN": "至少选择一项权限", "en": "must name at least one scope"},
    "identity.cannot_grant_lacking": {"zh-CN": "不能授予自己没有的权限：{scopes}",
                                      "en": "you cannot grant what you lack: {scopes}"},
    "identity.api_key_already_revoked": {"zh-CN": "该 API 密钥已吊销",
                                         "en": "The API key is already revoked"},
    # What only a signed-in user (not an integration) has.
    "identity.users_only_password": {"zh-CN": "只有用户账号有密码（API 密钥没有）",
                                     "en": "Only users have a password"},
}
