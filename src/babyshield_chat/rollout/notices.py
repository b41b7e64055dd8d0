"""What the rollout guard tells people, as Slack-compatible incoming-webhook bodies.

Every notice is `{"text": ..., "blocks": [...]}`:

- `text` is the whole message on one line, `[<env>] <headline>: <reasons>`:
  what a chat client shows in a notification, and all that a webhook which
  ignores blocks displays;
- `blocks` (Block Kit) are a header, the reasons as a list, the figures as
  fields (from/to, feedback, cost, traffic, who decided), for an announced
  promotion when it is due and the command that holds it, and a context
  line with the environment, the time and the audit row.

Kinds: a promotion announced ahead (`announcement`), each guard decision
(promote, hold, step back, kill switch), and a person's hold or resume.
Pure functions of the decision; `notifier.py` delivers them. Text is
escaped for Slack's mrkdwn (`&`, `<`, `>`), and each block is kept within
Slack's size limits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babyshield_chat.rollout.guard import HOLD_COMMAND, RESUME_COMMAND, Decision, clock, pct

# Slack refuses a section longer than 3000 characters and a field longer than 2000.
MAX_SECTION_CHARS = 2900
MAX_FIELD_CHARS = 1900


def escape(text: str) -> str:
    """Text for Slack mrkdwn: the three characters it reads as markup, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def decision_notice(decision: Decision, *, environment: str, actor: str, audit_id: int | None) -> dict[str, Any]:
    """A guard decision (promote, hold, step back, kill switch), or the announcement a hold carries."""
    told = decision.announcement
    before = pct(decision.state.rollout_pct)
    after = pct(told.target_pct if told is not None else decision.target_pct)
    if told is not None:
        headline = f"Promotion announced: {before} → {after} at {clock(told.due_at)}"
    else:
        headline = {
            "promote": f"Rollout promoted: {before} → {after}",
            "hold": f"Rollout held at {before}",
            "step_back": f"Rollout stepped back: {before} → {after}",
            "kill_switch": f"Kill switch: chat turned off (rollout was {before})",
        }[decision.action]
    fields = [("From", _state(decision.state.enabled, decision.state.rollout_pct)),
              ("To", _state(decision.target_enabled, told.target_pct if told is not None else decision.target_pct))]
    if told is not None:
        fields += [("Due", f"{clock(told.due_at)} (in {_minutes(told.due_at - decision.at)})"),
                   ("To hold it", f"`{HOLD_COMMAND}`")]
    fields += [("Feedback", decision.observation.feedback.describe())]
    if decision.cost is not None:
        fields.append(("Cost", decision.cost.summary().removeprefix("cost: ")))
    traffic = decision.observation.traffic
    fields += [("Traffic", f"{traffic:.3g} req/s" if traffic is not None else "no data"), ("Decided by", actor)]
    text = f"[{environment}] {headline}: {'; '.join(decision.reasons)}"
    if told is not None:
        text += f". To hold it: `{HOLD_COMMAND}`"
    return _notice(text, headline, list(decision.reasons), fields, environment, decision.at, audit_id)


def manual_notice(verb: str, *, rollout_pct: float, actor: str, reason: str, environment: str, at: dt.datetime,
                  audit_id: int) -> dict[str, Any]:
    """A person's `rollout hold` or `rollout resume`."""
    if verb == "hold":
        headline = f"Rollout held by {actor} at {pct(rollout_pct)}"
        after = f"The guard promotes nothing until `{RESUME_COMMAND}`; rollback triggers still act."
    else:
        headline = f"Rollout resumed by {actor} at {pct(rollout_pct)}"
        after = "The guard may promote again once every gate is green (announced first)."
    text = f"[{environment}] {headline}: {reason}. {after}"
    return _notice(text, headline, [reason, after], [("Rollout", pct(rollout_pct)), ("By", actor)], environment, at,
                   audit_id)


def _notice(text: str, headline: str, reasons: list[str], fields: list[tuple[str, str]], environment: str,
            at: dt.datetime, audit_id: int | None) -> dict[str, Any]:
    bullets = "\n".join(f"• {escape(reason)}" for reason in reasons)
    audit = f" · audit #{audit_id}" if audit_id is not None else ""
    return {
        "text": escape(text),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(bullets, MAX_SECTION_CHARS)}},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": _cut(f"*{name}*\n{escape(value)}", MAX_FIELD_CHARS)}
                for name, value in fields[:10]
            ]},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"BabyShield Chat · {escape(environment)} · "
                                           f"{at.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}{audit}"},
            ]},
        ],
    }


def _state(enabled: bool, rollout_pct: float) -> str:
    return f"{'on' if enabled else 'off'}, {pct(rollout_pct)}"


def _minutes(left: dt.timedelta) -> str:
    seconds = max(int(left.total_seconds()), 0)
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
