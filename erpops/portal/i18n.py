"""The portal's words: Chinese with English alongside (`登录 · Sign in`), as the operation manuals are, or English
alone. A page asks `t(key)`; the language is the `lang` query parameter, then the `erpops_lang` cookie it sets, then
the browser's Accept-Language, then Chinese."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

MESSAGES: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "portal": ("ERP 试运行门户", "ERP trial-run portal"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "token": ("API 令牌", "API token"),
    "token_help": ("粘贴管理员给您的令牌（erp_...），或使用邀请链接登录。",
                   "Paste the token your administrator gave you (erp_...), or open your one-time sign-in link."),
    "invite_title": ("一次性登录链接", "One-time sign-in link"),
    "invite_for": ("此链接将以下列身份登录：", "This link signs you in as:"),
    "invite_once": ("链接只能使用一次。", "The link works once."),
    "invite_invalid": ("此登录链接无效、已使用或已过期，请向管理员索取新链接。",
                       "This sign-in link is unknown, already used or expired; ask for a new one."),
    "bad_token": ("令牌无效、已过期或已吊销。", "The token is invalid, expired or revoked."),
    "too_many": ("登录失败次数过多，请稍后再试。", "Too many failed sign-ins; try again later."),
    "bad_form": ("表单已过期，请重新提交。", "The form has expired; please submit it again."),
    "home": ("首页", "Home"),
    "welcome": ("欢迎", "Welcome"),
    "role": ("角色", "Role"),
    "manual": ("操作手册", "Operation manual"),
    "training": ("培训", "Training"),
    "feedback_new": ("提交反馈", "Report feedback"),
    "feedback_mine": ("我的反馈", "My feedback"),
    "no_manual": ("此角色没有生成的操作手册。", "There is no generated manual for this role."),
    "upcoming": ("即将举行的培训", "Upcoming training sessions"),
    "no_training": ("暂无即将举行的培训。", "No upcoming training sessions."),
    "when": ("时间", "When"),
    "title": ("标题", "Title"),
    "trainer": ("讲师", "Trainer"),
    "attendance": ("出席", "Attendance"),
    "confirm": ("确认出席", "Confirm attendance"),
    "confirmed": ("已确认", "Confirmed"),
    "confirmed_ok": ("已确认出席。", "Attendance confirmed."),
    "module": ("模块", "Module"),
    "severity": ("严重程度", "Severity"),
    "description": ("描述", "Description"),
    "screenshot": ("截图（PNG、JPEG、GIF 或 WebP，最大 5 MB）", "Screenshot (PNG, JPEG, GIF or WebP, at most 5 MB)"),
    "screenshot_col": ("截图", "Screenshot"),
    "submit": ("提交", "Submit"),
    "submitted": ("反馈已提交，编号", "Feedback submitted, number"),
    "status": ("状态", "Status"),
    "owner": ("负责人", "Owner"),
    "created": ("提交时间", "Submitted"),
    "no_feedback": ("您还没有提交反馈。", "You have not reported any feedback yet."),
    "view": ("查看", "view"),
    "error": ("出错了", "Something went wrong"),
    "language": ("English", "中文"),
    "critical": ("严重", "critical"),
    "major": ("主要", "major"),
    "minor": ("次要", "minor"),
    "suggestion": ("建议", "suggestion"),
    "open": ("待处理", "open"),
    "triaged": ("已分派", "triaged"),
    "resolved": ("已解决", "resolved"),
    "closed": ("已关闭", "closed"),
    "signed_in_until": ("登录有效至", "Signed in until"),
}


def pick(query: str | None, cookie: str | None, accept: str | None) -> str:
    for given in (query, cookie):
        if given in LANGUAGES:
            return str(given)
    if accept:
        for part in accept.split(","):
            tag = part.split(";")[0].strip().lower()
            if tag[:2] in LANGUAGES:
                return tag[:2]
    return DEFAULT


ALONE = {"language", "portal"}  # the switch names the other language; the title is set apart already


def translator(lang: str) -> Callable[[str], str]:
    """`t(key)`: in Chinese, the Chinese words with the English alongside; in English, the English alone."""
    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        if pair is None:
            return key
        zh, en = pair
        if lang == "en":
            return en
        return zh if key in ALONE or zh == en else f"{zh} · {en}"

    return t
